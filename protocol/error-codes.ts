/**
 * The stable error codes of protocol v1. Every `error` and `reject` frame carries one of these,
 * and every error class of the SDK has the same string as its `code`.
 */
export const ERROR_CODES = [
  /** The frame could not be decoded, or does not match its schema. */
  'bad-frame',
  /** The frame's `type` is not one of protocol v1's frames. */
  'unknown-frame',
  /** No protocol version in common (answer to `hello`, in `reject`). */
  'unsupported-version',
  /** The `hello` carried no token or a token the server refused. */
  'unauthorized',
  /** The session may not do this (for example append to a reserved `$` stream). */
  'forbidden',
  /** The stream, event, transaction or start position does not exist. */
  'not-found',
  /** The append's expected version did not hold; `details` names the actual version. */
  'wrong-expected-version',
  /** An earlier append to the same stream on this connection failed, so this one was not applied. */
  'chain-broken',
  /** An event id is already stored in another stream. */
  'duplicate-id',
  /** The frame or an event is larger than the server's limit. */
  'too-large',
  /** A limit of the session was reached (subscriptions, credit, events per append). */
  'limit',
  /** The server is too busy to take the request now; try again later. */
  'overloaded',
  /** A frame that is not allowed in the session's state (for example a second `hello`). */
  'protocol',
  /** The server failed; the request may or may not have been applied. */
  'internal',
  /**
   * The answer holds event data the connection's codec cannot carry (binary, a timestamp or an
   * integer beyond 2^53 - 1, for a JSON client); `details` names the first such event.
   */
  'unrepresentable',
  /**
   * An `ack`, `nack` or `release` names a partition and generation the member no longer holds
   * (its lease expired, or the partition moved): nothing of it was recorded (SPEC 17.7).
   */
  'fenced',
  /** A `consume` names a group that exists with another selector, filter or partition count (SPEC 17.3). */
  'group-mismatch',
  /** The server knows the frame but does not serve its feature (consumer groups, projections, append conditions: SPEC 17.1, 18.1, 5.8.1). */
  'unsupported',
  /**
   * An append's condition did not hold: an event it names was stored after its position
   * (SPEC 5.8.1); `details` names the append's stream and that event's `pos`.
   */
  'condition-failed',
  /**
   * A projection stopped on an event its evolve function failed on: a `projection` asked for a
   * state past its checkpoint, which it will not reach until it is rebuilt (SPEC 18.5);
   * `details: {checkpoint, error}`.
   */
  'projection-failed',
  /** The connection closed before an answer came (raised on the client only, never sent). */
  'closed',
  /**
   * The client gave up waiting for an answer (raised on the client); or a projection did not
   * reach the position a `projection` asked for within its `timeoutMs` (sent, SPEC 18.5).
   */
  'timeout',
  /**
   * The server the client reconnected to serves another store than the one its subscriptions
   * and unacknowledged appends were made in (raised on the client only, never sent; SPEC 12).
   */
  'store-changed',
] as const;

/** One of the stable error codes of protocol v1. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** True when `value` is one of the protocol's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
