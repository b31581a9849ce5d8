/**
 * What may go into a WebSocket close frame. Runtime-neutral.
 * @module
 */

/** A close frame's reason holds at most 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

/** Cuts `reason` to what a close frame can carry, on a character boundary. */
export function closeFrameReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).byteLength <= MAX_REASON_BYTES) return reason;
  let cut = '';
  let bytes = 0;
  for (const character of reason) {
    const size = encoder.encode(character).byteLength;
    if (bytes + size > MAX_REASON_BYTES) break;
    cut += character;
    bytes += size;
  }
  return cut;
}

/** Whether a close frame may carry `code` (RFC 6455 7.4: never 1004, 1005, 1006 or 1015). */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

/**
 * Sends a close frame with `code`, or with 1000 when the code may not be sent: reserved codes are
 * replaced up front (`ws` would fail half-way through closing), and a browser's refusal (scripts
 * may send only 1000 and 3000-4999) is caught, since browsers check before changing state.
 * @returns The code and reason actually sent.
 */
export function closeWithCode(
  socket: { close(code?: number, reason?: string): void },
  code: number,
  reason: string,
): { code: number; reason: string } {
  const safeReason = closeFrameReason(reason);
  const sendable = isSendableCloseCode(code) ? code : 1000;
  try {
    socket.close(sendable, safeReason);
    return { code: sendable, reason: safeReason };
  } catch {
    socket.close(1000, safeReason);
    return { code: 1000, reason: safeReason };
  }
}
