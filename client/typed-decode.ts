import { TauonError } from '../protocol/errors.js';
import type { StoredEvent } from '../protocol/frames.js';
import { EventValidationError, UnknownEventTypeError } from './typed-errors.js';
import type { EventDeclaration } from './typed-events.js';
import { checkWith, isPromise } from './typed-standard-schema.js';
import type { CheckOutcome } from './typed-standard-schema.js';
import type { InvalidEvent, OnInvalid, OnUnknown, TypedReceiveOptions, UntypedEvent } from './typed-types.js';

/** The receive options with their defaults applied. */
export interface ReceivePolicy {
  readonly onInvalid: OnInvalid;
  readonly unknown: OnUnknown;
}

/** What becomes of one received event. */
export type Decoded =
  | { readonly kind: 'typed'; readonly event: StoredEvent }
  | InvalidEvent
  | UntypedEvent
  | { readonly kind: 'skip' }
  | { readonly kind: 'error'; readonly error: TauonError };

const SKIP: Decoded = { kind: 'skip' };

/** The policy of the options, or a `bad-frame` error naming the option that is not valid. */
export function receivePolicy(options: TypedReceiveOptions | undefined): ReceivePolicy | TauonError {
  const onInvalid = options?.onInvalid ?? 'error';
  const unknown = options?.unknown ?? 'skip';
  if (onInvalid !== 'error' && onInvalid !== 'deliver') {
    return new TauonError('bad-frame', `onInvalid is "error" or "deliver", not ${JSON.stringify(onInvalid)}`);
  }
  if (unknown !== 'pass' && unknown !== 'skip' && unknown !== 'error') {
    return new TauonError('bad-frame', `unknown is "pass", "skip" or "error", not ${JSON.stringify(unknown)}`);
  }
  return { onInvalid, unknown };
}

/**
 * Checks one received event against the declaration: a typed event (its `data` the schema's
 * output), or what the policy makes of an invalid or undeclared one. Synchronous when the
 * schema is.
 */
export function decodeEvent(declaration: EventDeclaration, policy: ReceivePolicy, event: StoredEvent): Decoded | Promise<Decoded> {
  // SPEC 5.5: clients accept system event types they do not know; they never fail a subscription.
  const system = event.type.startsWith('$');
  if (!declaration.has(event.type)) {
    if (policy.unknown === 'pass') return { kind: 'untyped', event };
    if (policy.unknown === 'error' && !system) {
      return { kind: 'error', error: new UnknownEventTypeError(event, declaration.types) };
    }
    return SKIP;
  }
  const outcome = checkWith(declaration.schemas[event.type]!, event.data);
  return isPromise(outcome) ? outcome.then((checked) => decided(policy, event, checked)) : decided(policy, event, outcome);
}

function decided(policy: ReceivePolicy, event: StoredEvent, outcome: CheckOutcome<unknown>): Decoded {
  if (outcome.ok) return { kind: 'typed', event: { ...event, data: outcome.value } };
  if (policy.onInvalid === 'deliver') return { kind: 'invalid', event, issues: outcome.issues };
  return { kind: 'error', error: new EventValidationError(event, outcome.issues) };
}
