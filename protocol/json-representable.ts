import { TauonError } from './errors.js';

/*
 * What JSON cannot carry of the data msgpack producers store (SPEC 4.9): binary, msgpack
 * timestamps (decoded as Date), integers beyond 2^53 - 1 (decoded as bigint), numbers that are
 * not finite. JSON.stringify would throw on a bigint but silently turn a Date into a string, a
 * Buffer into `{"type":"Buffer",...}` and NaN into null: the JSON codec asks this first, and
 * only of event `data` (every other field of a frame is typed by the schemas). Runtime-neutral.
 */

/** True when `value` is made of what JSON carries: null, booleans, finite numbers, strings, arrays and plain maps. */
export function isJsonRepresentable(value: unknown): boolean {
  switch (typeof value) {
    // A field whose value is undefined is left out, by both codecs: the sender's absent field.
    case 'undefined':
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (!isJsonRepresentable(item)) return false;
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) if (!isJsonRepresentable((value as Record<string, unknown>)[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

/** The place of a stored event, as far as a list handed to an encoder has one. */
interface EventLike {
  readonly type?: unknown;
  readonly data?: unknown;
  readonly stream?: unknown;
  readonly seq?: unknown;
  readonly pos?: unknown;
}

/**
 * Throws `unrepresentable` naming the first event of `events` whose `data` JSON cannot carry,
 * with `details: {stream, seq, pos}` so that a JSON client can go on after it (SPEC 4.9, 7).
 */
export function assertEventsJsonRepresentable(events: readonly unknown[]): void {
  for (const event of events) {
    if (typeof event !== 'object' || event === null) continue;
    const { type, data, stream, seq, pos } = event as EventLike;
    if (data === undefined || isJsonRepresentable(data)) continue;
    // An event on its way to the server (an append's) has no place yet: the emitter is told what to do instead.
    if ((event as EventLike).seq === undefined) {
      throw new TauonError('unrepresentable', `the data of a "${String(type).slice(0, 64)}" event holds a value JSON cannot carry (binary, a Date, a bigint); emit it over msgpack (codec: msgpackCodec)`);
    }
    throw new TauonError('unrepresentable', `the data of event ${String(seq)} of stream "${String(stream)}" holds a value JSON cannot carry (binary, a timestamp, an integer beyond 2^53 - 1); a msgpack client can read it`, {
      details: { stream, seq, pos },
    });
  }
}
