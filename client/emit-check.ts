import { BadFrameError, TauonError } from '../protocol/errors.js';
import { AppendCondition, MAX_NAME_LENGTH } from '../protocol/frames.js';
import { dataProblem, isWellFormedStringMap, isWellFormedText, NOT_WELL_FORMED } from '../protocol/data-limits.js';
import type { EmitEvent, EmitOptions } from './types.js';

/*
 * Client-side checks of an emit before it joins the queue. A bad emit that reached the server
 * would fail the whole `append` frame it was coalesced into, failing other callers' emits with
 * it, and break the stream's chain for the appends behind it. These checks mirror the schemas of
 * protocol/frames.ts by hand because they run on the hot path (a zod parse costs about half of
 * what encoding the event does).
 */

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH;
}

/** A name's problem beyond its length: a lone surrogate, which no codec can carry unchanged. */
function illFormed(what: string, value: string): TauonError | undefined {
  return isWellFormedText(value) ? undefined : new BadFrameError(`${what} ${NOT_WELL_FORMED}`);
}

/** A stream name one can write to: 1..256 characters, no `*`, not starting with `$`. */
export function checkStreamName(stream: unknown): TauonError | undefined {
  if (!isName(stream)) return new BadFrameError(`a stream name is a string of 1..${MAX_NAME_LENGTH} characters`);
  // SPEC 5.1: appending to a `$` name is `bad-frame`, as the server's schema answers it.
  if (stream.startsWith('$')) return new BadFrameError(`stream "${stream}" is reserved (names starting with "$")`);
  if (stream.includes('*')) return new BadFrameError(`a stream name has no "*": "${stream}"`);
  return illFormed('a stream name', stream);
}

const OPTIONAL_NAMES = ['id', 'key', 'causation', 'correlation'] as const;

/** The problem with one event, or undefined when it is fine. */
export function checkEvent(event: unknown): TauonError | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return new BadFrameError('an event is an object with at least a "type"');
  }
  const fields = event as Record<string, unknown>;
  if (!isName(fields['type'])) return new BadFrameError(`an event's type is a string of 1..${MAX_NAME_LENGTH} characters`);
  if (fields['type'].startsWith('$')) {
    return new TauonError('forbidden', `event type "${fields['type']}" is reserved (types starting with "$")`);
  }
  for (const name of OPTIONAL_NAMES) {
    const value = fields[name];
    if (value !== undefined && !isName(value)) {
      return new BadFrameError(`an event's ${name} is a string of 1..${MAX_NAME_LENGTH} characters`);
    }
    const problem = value === undefined ? undefined : illFormed(`an event's ${name}`, value);
    if (problem !== undefined) return problem;
  }
  const typeProblem = illFormed("an event's type", fields['type']);
  if (typeProblem !== undefined) return typeProblem;
  const schema = fields['schema'];
  if (schema !== undefined && !(typeof schema === 'string' && schema.length >= 1 && schema.length <= 1024)) {
    return new BadFrameError("an event's schema is a string of 1..1024 characters");
  }
  const time = fields['time'];
  if (time !== undefined && !(typeof time === 'number' && Number.isSafeInteger(time) && time >= 0)) {
    return new BadFrameError("an event's time is milliseconds since the epoch (a non-negative integer)");
  }
  const meta = fields['meta'];
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      return new BadFrameError("an event's meta is a map of strings");
    }
    for (const value of Object.values(meta)) {
      if (typeof value !== 'string') return new BadFrameError("an event's meta is a map of strings");
    }
    if (!isWellFormedStringMap(meta)) return new BadFrameError(`a key or value of an event's meta ${NOT_WELL_FORMED}`);
  }
  // Data nested deeper than the limit, or with a lone surrogate, would be refused by the server.
  const dataError = dataProblem(fields['data']);
  if (dataError !== undefined) return new BadFrameError(dataError);
  return undefined;
}

/** The problem with the options of an emit, or undefined when they are fine. */
export function checkEmitOptions(options: EmitOptions | undefined): TauonError | undefined {
  const expected = options?.expected;
  if (
    expected !== undefined &&
    expected !== 'any' &&
    expected !== 'none' &&
    expected !== 'exists' &&
    !(typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0)
  ) {
    return new BadFrameError('expected is "any", "none", "exists" or a non-negative integer');
  }
  // Rare, and one frame alone: the schema itself checks it.
  if (options?.condition !== undefined) {
    const parsed = AppendCondition.safeParse(options.condition);
    if (!parsed.success) return new BadFrameError(`the condition is not valid: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  }
  return undefined;
}

/** The problem with a whole emit (stream, events, options), or undefined when it is fine. */
export function checkEmit(stream: string, events: readonly EmitEvent[], options: EmitOptions | undefined): TauonError | undefined {
  const streamProblem = checkStreamName(stream);
  if (streamProblem !== undefined) return streamProblem;
  if (events.length === 0) return new BadFrameError('an emit needs at least one event');
  for (const event of events) {
    const problem = checkEvent(event);
    if (problem !== undefined) return problem;
  }
  return checkEmitOptions(options);
}
