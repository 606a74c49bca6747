/** A fresh tool-call id, for servers that send none: `call_` and 24 random hex digits. */
export function generateToolCallId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let id = 'call_';
  for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
  return id;
}
