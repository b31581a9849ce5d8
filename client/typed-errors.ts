import { TauonError } from '../protocol/errors.js';
import type { StoredEvent } from '../protocol/frames.js';
import type { EmitEvent } from './types.js';
import { describeIssue } from './typed-standard-schema.js';
import type { SchemaIssue } from './typed-standard-schema.js';

/*
 * Typed events are checked on the client only: these errors are never sent or received. Their
 * code is `bad-frame`, the protocol's code for "does not match its schema", because that is
 * what the event is; the class says whether it was going out or coming in.
 */

/**
 * An event's `data` does not match the schema its type was declared with. Raised by a typed
 * `emit` before anything is sent (the emit writes nothing, and no other emit is affected), and
 * by typed reads and subscriptions with `onInvalid: 'error'` for an event received. Code
 * `bad-frame`.
 * @example
 * ```ts
 * try {
 *   await orders.emit('orders.42', { type: 'OrderPlaced', data: { orderId: '42', total: Number('x') } });
 * } catch (error) {
 *   if (error instanceof EventValidationError) console.error(error.event.type, error.issues.map((issue) => issue.message));
 * }
 * ```
 */
export class EventValidationError extends TauonError {
  override readonly name = 'EventValidationError';
  constructor(
    /** The event as given to `emit`, or as received. */
    readonly event: EmitEvent | StoredEvent,
    /** What the schema found, as the schema library said it. */
    readonly issues: readonly SchemaIssue[],
  ) {
    super('bad-frame', `${placeOf(event)}: its data does not match the schema of ${event.type}: ${issues.map(describeIssue).join('; ')}`, {
      details: { type: event.type, ...storedPlace(event), issues: issues.map(describeIssue) },
    });
  }
}

/**
 * An event's type is not one of the declaration's: a typed `emit` of an undeclared type (only
 * JavaScript callers can get there), or an event received with `unknown: 'error'`. System
 * events (types starting with `$`, SPEC 5.5) never raise it. Code `bad-frame`.
 * @example
 * ```ts
 * orders.subscribe('orders.*', { unknown: 'error' }).subscribe({
 *   error: (error) => {
 *     if (error instanceof UnknownEventTypeError) console.error(`${error.event.type} is not one of ${error.known.join(', ')}`);
 *   },
 * });
 * ```
 */
export class UnknownEventTypeError extends TauonError {
  override readonly name = 'UnknownEventTypeError';
  constructor(
    /** The event as given to `emit`, or as received. */
    readonly event: EmitEvent | StoredEvent,
    /** The declared types. */
    readonly known: readonly string[],
  ) {
    super('bad-frame', `${placeOf(event)}: type ${JSON.stringify(event.type)} is not declared (declared: ${known.join(', ')})`, {
      details: { type: event.type, ...storedPlace(event) },
    });
  }
}

function isStored(event: EmitEvent | StoredEvent): event is StoredEvent {
  return 'seq' in event && typeof event.seq === 'number' && 'stream' in event;
}

function storedPlace(event: EmitEvent | StoredEvent): Record<string, unknown> {
  return isStored(event) ? { stream: event.stream, seq: event.seq, id: event.id } : {};
}

function placeOf(event: EmitEvent | StoredEvent): string {
  return isStored(event) ? `event ${event.stream}#${event.seq}` : 'the event to emit';
}
