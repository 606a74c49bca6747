/**
 * What a file's bytes hold: an image the model can see, text, or other
 * binary data that would only waste its context.
 */

export type ImageMimeType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const IMAGE_EXTENSIONS: Record<string, ImageMimeType> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** The image type a path's extension promises, if any. */
export function imageTypeFromPath(path: string): ImageMimeType | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
  return IMAGE_EXTENSIONS[path.slice(dot + 1).toLowerCase()];
}

/** The image type the bytes actually hold, from their magic numbers. */
export function imageTypeFromBytes(bytes: Uint8Array): ImageMimeType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes.subarray(8), ascii('WEBP'))) return 'image/webp';
  return undefined;
}

/** How much of a file is inspected for NUL bytes, as git and grep do. */
const SNIFF_BYTES = 8000;

/** Binary by the usual heuristic: a NUL byte near the start. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * Decodes UTF-8. `strict` fails (returns `undefined`) on invalid bytes, for
 * callers that write the text back and must not corrupt it; otherwise
 * invalid bytes become U+FFFD. `keepBom` keeps a leading byte-order mark
 * so it survives a rewrite.
 */
export function decodeText(
  bytes: Uint8Array,
  options: { strict?: boolean; keepBom?: boolean } = {},
): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: options.strict === true, ignoreBOM: options.keepBom === true }).decode(
      bytes,
    );
  } catch {
    return undefined;
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(text: string): number[] {
  return [...text].map((char) => char.charCodeAt(0));
}
