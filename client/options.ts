// `#client-codec` is client/codec-choice.ts, or codec-choice.browser.ts in a browser build (package.json "imports").
import { codecNamed, DEFAULT_CODEC } from '#client-codec';
import type { Codec } from '../protocol/codec.js';
import { TauonError } from '../protocol/errors.js';
import { resolveReconnectOptions } from './reconnect-policy.js';
import type { ResolvedReconnectOptions } from './reconnect-policy.js';
import type { ConnectOptions } from './types.js';

/** {@link ConnectOptions} with every default filled in. */
export interface ResolvedOptions {
  readonly token: ConnectOptions['token'];
  readonly codec: Codec;
  readonly clientName: string;
  readonly reconnect: ResolvedReconnectOptions;
  readonly waitOnFirstConnect: boolean;
  readonly requestTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly prefetch: number;
  readonly maxAppendsInFlight: number;
  readonly maxEventsPerFrame: number;
  readonly maxFrameBytes: number;
}

/** The name the client gives itself in `hello` unless told otherwise. */
export const DEFAULT_CLIENT_NAME = 'tauon-js';

function positiveInt(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

function isCodec(value: unknown): value is Codec {
  if (typeof value !== 'object' || value === null) return false;
  const codec = value as Partial<Codec>;
  return typeof codec.encode === 'function' && typeof codec.decode === 'function' && (codec.name === 'msgpack' || codec.name === 'json');
}

/**
 * The codec of {@link ConnectOptions.codec}: the default of the build when not given (msgpack in
 * Node, JSON in a browser build), a codec object as it is, a name through the build's codecs.
 * @throws TauonError `unsupported` for anything else, and for `'msgpack'` by name in a browser build.
 */
export function resolveCodec(codec: ConnectOptions['codec']): Codec {
  if (codec === undefined) return DEFAULT_CODEC;
  if (isCodec(codec)) return codec;
  const named = typeof codec === 'string' ? codecNamed(codec) : undefined;
  if (named === undefined) {
    const shown = typeof codec === 'string' ? `"${codec.slice(0, 64)}"` : typeof codec;
    throw new TauonError('unsupported', `unknown codec ${shown}: 'msgpack', 'json' or a codec object (msgpackCodec, jsonCodec of tauon/protocol)`);
  }
  return named;
}

/** Fills in the defaults of {@link ConnectOptions}. */
export function resolveOptions(options: ConnectOptions = {}): ResolvedOptions {
  return {
    token: options.token,
    codec: resolveCodec(options.codec),
    clientName: options.clientName ?? DEFAULT_CLIENT_NAME,
    reconnect: resolveReconnectOptions(options.reconnect),
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    requestTimeoutMs: positiveInt(options.requestTimeoutMs, 30_000),
    handshakeTimeoutMs: positiveInt(options.handshakeTimeoutMs, 10_000),
    prefetch: positiveInt(options.prefetch, 1000),
    maxAppendsInFlight: positiveInt(options.maxAppendsInFlight, 64),
    // A few hundred events a frame: with many emits in flight, the server commits one group of
    // frames while the next ones are encoded and sent; one frame of 1,000 made the two sides
    // take turns (acked emit throughput 10-35% lower).
    maxEventsPerFrame: positiveInt(options.maxEventsPerFrame, 250),
    maxFrameBytes: positiveInt(options.maxFrameBytes, 512 * 1024),
  };
}
