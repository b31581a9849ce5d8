import { BadFrameError } from '../protocol/errors.js';
import { EventValidationError, UnknownEventTypeError } from './typed-errors.js';
import type { EventDeclaration } from './typed-events.js';
import { checkWith, isPromise } from './typed-standard-schema.js';
import type { CheckOutcome } from './typed-standard-schema.js';
import type { Client, EmitAck, EmitEvent, EmitOptions } from './types.js';

/**
 * The emit side of a typed client: checks each event's data against its type's schema, sets its
 * `schema` field, and hands the emit to the client. Emits reach the client in the order they
 * were called: while an async check is pending, later emits wait behind it (else a quick
 * synchronous check would overtake it, and the stream's events would be stored out of the
 * caller's order). With synchronous schemas and nothing waiting, an emit is handed on at once,
 * so emits of one tick still coalesce into one `append` frame.
 */
export class TypedEmitter {
  /** Emits checked asynchronously and not yet handed to the client. */
  private waiting = 0;
  /** Settles once the last waiting emit was handed on (or refused). */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly declaration: EventDeclaration,
  ) {}

  /** Checks and emits one event or several atomically, as `TypedClient.emit` says. */
  emit(stream: string, given: EmitEvent | EmitEvent[], options: EmitOptions | undefined): Promise<EmitAck> {
    const many = Array.isArray(given);
    const events: unknown[] = many ? given : [given];
    const checks: (CheckOutcome<unknown> | Promise<CheckOutcome<unknown>>)[] = [];
    const outgoing: EmitEvent[] = [];
    for (const event of events) {
      if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
        return Promise.reject(new BadFrameError('an event is an object with at least a "type"'));
      }
      const typedEvent = event as EmitEvent;
      if (!this.declaration.has(typedEvent.type)) return Promise.reject(new UnknownEventTypeError(typedEvent, this.declaration.types));
      checks.push(checkWith(this.declaration.schemas[typedEvent.type]!, typedEvent.data));
      outgoing.push(this.withSchema(typedEvent));
    }
    const send = (outcomes: readonly CheckOutcome<unknown>[]): Promise<EmitAck> => {
      const failed = outcomes.findIndex((outcome) => !outcome.ok);
      const failure = outcomes[failed];
      if (failure !== undefined && !failure.ok) return Promise.reject(new EventValidationError(outgoing[failed]!, failure.issues));
      return many ? this.client.emit(stream, outgoing, options) : this.client.emit(stream, outgoing[0]!, options);
    };
    if (this.waiting === 0 && !checks.some(isPromise)) return send(checks as CheckOutcome<unknown>[]);
    this.waiting += 1;
    const previous = this.tail;
    const handedOn = Promise.all([previous, Promise.all(checks.map((check) => Promise.resolve(check)))]).then(([, outcomes]) => {
      this.waiting -= 1;
      return { sent: send(outcomes) };
    });
    // The next emit waits for this one's hand-off, not for its ack (acks keep order on their own).
    this.tail = handedOn.then(
      () => undefined,
      () => undefined,
    );
    return handedOn.then((handed) => handed.sent);
  }

  /** The event with its `schema` field from the declaration (left as given when it declares none). */
  private withSchema(event: EmitEvent): EmitEvent {
    const uri = this.declaration.schemaUriOf(event.type);
    return uri === undefined ? event : { ...event, schema: uri };
  }
}
