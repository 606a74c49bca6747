const DEFAULT_REGION = 'us-east-1';
const AWS_RUNTIME_HOST = /^bedrock-runtime(-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/;

/**
 * The one region rule: only an AWS Bedrock runtime host follows the
 * configured region; any other base URL (a proxy, a VPC endpoint, the mock)
 * is kept as is and the region only signs. Without a configured region, the
 * runtime host's own region signs, else `us-east-1`.
 */
export function resolveRegion(
  baseUrl: string,
  configuredRegion: string | undefined,
): { baseUrl: string; region: string } {
  const trimmed = baseUrl.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { baseUrl: trimmed, region: configuredRegion ?? DEFAULT_REGION };
  }
  const match = AWS_RUNTIME_HOST.exec(url.hostname);
  if (!match) return { baseUrl: trimmed, region: configuredRegion ?? DEFAULT_REGION };
  if (configuredRegion) url.hostname = `bedrock-runtime${match[1] ?? ''}.${configuredRegion}.amazonaws.com`;
  return { baseUrl: url.toString().replace(/\/+$/, ''), region: configuredRegion ?? match[2] ?? DEFAULT_REGION };
}
