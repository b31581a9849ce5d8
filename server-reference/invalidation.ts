import { newEventId } from '../protocol/event-id.js';
import { TauonError } from '../protocol/errors.js';
import type { InvalidateFrame } from '../protocol/frames.js';
import type { AppendRequest, EventStore } from './stores/event-store.js';

/** The type of the system event that marks a transaction invalid. */
export const INVALIDATED_TYPE = '$invalidated';

/**
 * The append that invalidates a transaction: a system event naming it, so subscribers see the
 * invalidation in order. Nothing is deleted. The transaction must exist in the stream.
 */
export async function invalidationRequest(store: EventStore, frame: InvalidateFrame): Promise<AppendRequest> {
  const info = await store.streamInfo(frame.stream);
  if (info === undefined || frame.tx > info.tx) {
    throw new TauonError('not-found', `stream ${frame.stream} has no transaction ${frame.tx}`, {
      details: { stream: frame.stream, tx: frame.tx },
    });
  }
  return {
    stream: frame.stream,
    events: [
      {
        id: newEventId(),
        type: INVALIDATED_TYPE,
        data: frame.reason === undefined ? { tx: frame.tx } : { tx: frame.tx, reason: frame.reason },
      },
    ],
    expected: 'any',
    dedupe: false,
  };
}
