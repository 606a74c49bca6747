/**
 * Keeps secrets out of text that leaves qcore: error messages, which reach
 * UIs, logs, session files and the next request. The rule is redact first,
 * cut after; a cut through a key would hide only the part past the cut.
 */

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not redacted: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** `text` with every occurrence of each secret replaced. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** `text` cut to at most `max` characters (never inside a surrogate pair), marked with `…` when cut. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

const CREDENTIAL_HEADER = /auth|key|token|secret|cookie|session|password|credential|signature/i;

/**
 * The values of headers that look like credentials, such as `authorization`
 * or `x-api-key`, to redact from errors. A `Bearer <token>` value also gives
 * the token alone and a cookie each value, since a server may echo either.
 */
export function headerSecrets(headers: Record<string, string> | undefined): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    secrets.push(value);
    const space = value.indexOf(' ');
    if (space > 0) secrets.push(value.slice(space + 1).trim());
    if (/cookie/i.test(name)) {
      for (const pair of value.split(';')) secrets.push(pair.slice(pair.indexOf('=') + 1).trim());
    }
  }
  // Longest first, so a whole value goes before the token inside it.
  return secrets.filter((secret) => secret.length >= 8).sort((a, b) => b.length - a.length);
}
