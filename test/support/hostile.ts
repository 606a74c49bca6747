/**
 * Pieces for tests that play a hostile or broken server: a body that never
 * ends, and a check that no fragment of a secret got through.
 */

const encoder = new TextEncoder();

/** True when `text` holds any 8 consecutive characters of `secret`. */
export function leaks(text: string | undefined, secret: string): boolean {
  if (!text) return false;
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) return true;
  return false;
}

/**
 * A body that sends `head` and then `filler` until it is cancelled; `pulled`
 * counts bytes. It stops at 48 MiB only so that a client without a cap fails
 * the test instead of running out of memory.
 */
export function endlessBody(head: string, filler: string): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  let sentHead = false;
  const piece = encoder.encode(filler);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled > 48 * 1024 * 1024) return controller.close();
      const chunk = sentHead ? piece : encoder.encode(head);
      sentHead = true;
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}
