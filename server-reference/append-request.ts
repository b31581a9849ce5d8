import { newEventId } from '../protocol/event-id.js';
import { TauonError } from '../protocol/errors.js';
import type { AppendFrame, EventInput, ServerLimits } from '../protocol/frames.js';
import type { AppendOutcome, AppendRequest } from './stores/event-store.js';

/** Event types starting with `$` are the system's (such as `$invalidated`). */
const SYSTEM_TYPE = /^\$/;

/**
 * Turns an `append` frame into a store request: checks what the schema cannot (limits, reserved
 * types, a condition on a store that cannot check it) and assigns the ids the producer left out.
 */
export function toAppendRequest(frame: AppendFrame, limits: ServerLimits, checksConditions: boolean): AppendRequest {
  if (frame.events.length > limits.maxEventsPerAppend) {
    throw new TauonError(
      'limit',
      `an append carries at most ${limits.maxEventsPerAppend} events, this one ${frame.events.length}`,
    );
  }
  let withoutId = 0;
  for (const event of frame.events) {
    if (SYSTEM_TYPE.test(event.type)) {
      throw new TauonError('forbidden', `event type "${event.type}" is reserved for the system`);
    }
    if (event.id === undefined) withoutId += 1;
  }
  if (frame.condition !== undefined && !checksConditions) {
    // Nothing is written: a condition the store cannot check atomically would be a promise broken.
    throw new TauonError(
      'unsupported',
      'this server does not serve append conditions (the feature "append-condition"): its store cannot check one atomically with the append',
    );
  }
  return {
    stream: frame.stream,
    // The frame is ours alone: events that carry their id (as the client's always do) are used
    // as they are, without a copy each.
    events:
      withoutId === 0
        ? (frame.events as (EventInput & { id: string })[])
        : frame.events.map((event) => (event.id === undefined ? { ...event, id: newEventId() } : (event as EventInput & { id: string }))),
    expected: frame.expected ?? 'any',
    dedupe: frame.dedupe ?? false,
    ...(frame.condition === undefined ? {} : { condition: frame.condition }),
  };
}

/** The `appended` frame for a successful outcome. */
export function appendedFrame(id: number, stream: string, outcome: Extract<AppendOutcome, { ok: true }>) {
  return {
    type: 'appended' as const,
    id,
    stream,
    tx: outcome.tx,
    seqs: outcome.seqs,
    positions: outcome.positions,
    ...(outcome.dups.length > 0 ? { dups: outcome.dups } : {}),
  };
}
