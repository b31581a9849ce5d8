import { jsonCodec } from './json-codec.js';
import { msgpackCodec } from './msgpack-codec.js';

/** Turns frames into bytes and back. Frames are plain objects; bytes are what a transport moves. */
export interface Codec {
  /** `msgpack` (the default) or `json`. */
  readonly name: CodecName;
  /** The MIME type of its frames, for transports that label messages (AMQP). */
  readonly contentType: string;
  encode(frame: object): Uint8Array;
  /** Decodes one frame's bytes into a value (not yet validated); throws on undecodable bytes. */
  decode(bytes: Uint8Array): unknown;
}

export type CodecName = 'msgpack' | 'json';

/** The first byte of every JSON frame (`{`); no valid msgpack frame starts with it (it would be the integer 123). */
export const JSON_FIRST_BYTE = 0x7b;

/** The codec of a given name. */
export function codecByName(name: CodecName): Codec {
  return name === 'json' ? jsonCodec : msgpackCodec;
}

/**
 * The codec a peer chose, told from the first bytes it sent: JSON frames start with `{`,
 * anything else is msgpack. The server answers in the codec of the client's first frame.
 */
export function detectCodec(firstFrame: Uint8Array): Codec {
  return firstFrame[0] === JSON_FIRST_BYTE ? jsonCodec : msgpackCodec;
}
