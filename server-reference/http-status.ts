import type { ErrorCode } from '../protocol/error-codes.js';

/** The HTTP status the HTTP API answers for each protocol error code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  'bad-frame': 400,
  'unknown-frame': 400,
  protocol: 400,
  'unsupported-version': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'wrong-expected-version': 409,
  'chain-broken': 409,
  'duplicate-id': 409,
  'too-large': 413,
  limit: 429,
  overloaded: 503,
  internal: 500,
  // The client takes JSON, which cannot carry what is stored: not acceptable in that form.
  unrepresentable: 406,
  closed: 503,
  timeout: 504,
  'store-changed': 409,
  fenced: 409,
  'group-mismatch': 409,
  // The server does not serve the feature (groups, projections, append conditions).
  unsupported: 501,
  // The append's condition did not hold: an event it matches was stored after its position.
  'condition-failed': 409,
  // A projection stopped on an event it cannot evolve: the state asked for will not come until it is rebuilt.
  'projection-failed': 409,
};
