import type { IncomingMessage } from 'node:http';
import { TauonError } from '../protocol/errors.js';

/**
 * A request's body, read whole but never past `maxBytes` (maxFrameBytes: a body is one request,
 * as a frame is): a longer one is refused with `too-large` as soon as it passes the bound.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > maxBytes) throw new TauonError('too-large', `a request body is at most ${maxBytes} bytes (maxFrameBytes)`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
