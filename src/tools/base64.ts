/**
 * Base64 for image results. Web-standard runtimes lack a bytes-to-base64
 * call (`Uint8Array.prototype.toBase64` is too new) and `Buffer` is Node only.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding, no line breaks. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Built in chunks so the intermediate strings stay small for multi-megabyte images.
  const chunkBytes = 3 * 4096;
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    const end = Math.min(start + chunkBytes, bytes.length);
    let chunk = '';
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      chunk += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
    }
    const rest = end - i;
    if (rest === 1) {
      const n = (bytes[i] ?? 0) << 16;
      chunk += `${ALPHABET[(n >> 18) & 63]}${ALPHABET[(n >> 12) & 63]}==`;
    } else if (rest === 2) {
      const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
      chunk += `${ALPHABET[(n >> 18) & 63]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
    }
    parts.push(chunk);
  }
  return parts.join('');
}
