import { detectCodec, type Codec } from '../../protocol/codec.js';
import type { Connection } from '../../transports/transport.js';

/** A decoded frame, as a mutation sees it. */
export type Frame = Record<string, unknown>;

/**
 * How a mutant breaks the protocol: it rewrites the frames between the kit and a correct server,
 * so that the server looks, to the kit, like one with that bug. Each function sees one
 * connection's frames, in order, with that connection's own `state`.
 */
export interface Mutation {
  /** The frame the server gets instead of what the client sent (undefined: dropped). */
  toServer?(frame: Frame, state: Map<string, unknown>): Frame | undefined;
  /** The frames the client gets instead of what the server sent (none: dropped). */
  toClient?(frame: Frame, state: Map<string, unknown>): Frame[];
}

function decoded(codec: Codec, bytes: Uint8Array): Frame | undefined {
  try {
    const frame = codec.decode(bytes);
    return typeof frame === 'object' && frame !== null && !Array.isArray(frame) ? (frame as Frame) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wraps a connection to a server so that the mutation rewrites its frames both ways, in the
 * encoding the client chose with its first frame (as the server detects it, SPEC 4.1). Bytes
 * that do not decode pass as they are: the server answers them itself.
 */
export function mutatedConnection(inner: Connection, mutation: Mutation): Connection {
  let codec: Codec | undefined;
  const state = new Map<string, unknown>();
  const wrapped: Connection = {
    send(bytes) {
      codec ??= detectCodec(bytes);
      const frame = mutation.toServer === undefined ? undefined : decoded(codec, bytes);
      if (frame === undefined) return inner.send(bytes);
      const out = mutation.toServer!(frame, state);
      if (out !== undefined) inner.send(out === frame ? bytes : codec.encode(out));
    },
    onFrame(handler) {
      inner.onFrame((bytes) => {
        const frame = codec === undefined || mutation.toClient === undefined ? undefined : decoded(codec, bytes);
        if (frame === undefined) return handler(bytes);
        for (const out of mutation.toClient!(frame, state)) handler(out === frame ? bytes : codec!.encode(out));
      });
    },
    close: (code, reason) => inner.close(code, reason),
    closed: inner.closed,
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
  };
  if (inner.onTooLarge !== undefined) wrapped.onTooLarge = (handler) => inner.onTooLarge!(handler);
  return wrapped;
}
