import type { ConformanceCase } from '../kit/case.js';
import { APPEND_CONDITION_CASES } from './append-conditions.js';
import { APPENDS_CASES } from './appends.js';
import { AUTHORIZATION_CASES } from './authorization.js';
import { CREDIT_CASES } from './credit.js';
import { ENCODINGS_CASES } from './encodings.js';
import { FELL_BEHIND_CASES } from './fell-behind.js';
import { FRAME_SCHEMAS_CASES } from './frame-schemas.js';
import { GROUPS_CASES } from './groups.js';
import { HANDSHAKE_CASES } from './handshake.js';
import { IDENTITY_CASES } from './identity.js';
import { KEEP_ALIVE_CASES } from './keep-alive.js';
import { LIMITS_CASES } from './limits.js';
import { PROJECTIONS_CASES } from './projections.js';
import { QUERIES_CASES } from './queries.js';
import { READ_YOUR_WRITES_CASES } from './read-your-writes.js';
import { RESUME_CASES } from './resume.js';
import { SUBSCRIPTIONS_CASES } from './subscriptions.js';
import { WEBSOCKET_CASES } from './websocket.js';

/** Every case of the wire kit, in the order of SPEC.md's sections. */
export const WIRE_CASES: readonly ConformanceCase[] = [
  ...HANDSHAKE_CASES,
  ...ENCODINGS_CASES,
  ...FRAME_SCHEMAS_CASES,
  ...APPENDS_CASES,
  ...APPEND_CONDITION_CASES,
  ...READ_YOUR_WRITES_CASES,
  ...SUBSCRIPTIONS_CASES,
  ...CREDIT_CASES,
  ...FELL_BEHIND_CASES,
  ...QUERIES_CASES,
  ...IDENTITY_CASES,
  ...AUTHORIZATION_CASES,
  ...LIMITS_CASES,
  ...KEEP_ALIVE_CASES,
  ...RESUME_CASES,
  ...WEBSOCKET_CASES,
  ...GROUPS_CASES,
  ...PROJECTIONS_CASES,
];
