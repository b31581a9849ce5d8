import { TauonError } from '../protocol/errors.js';
import type { ServerFrame } from '../protocol/frames.js';

/** A group route: the request frame it stands for, and what of the answer frame is the body. */
export interface GroupRoute {
  /** The frame (id 0) as the protocol's `groups`, `group` or `replay-parked`, still to be validated. */
  readonly frame: Record<string, unknown>;
  /** The body of the answer: the list, the group, or `{group, parked}`. */
  body(answer: ServerFrame): unknown;
}

/**
 * The routes of consumer groups (SPEC 17), the path after `/groups` (segments decoded). Each is
 * answered by the same engine and the same permission checks as its frame in a session
 * (server-reference/groups/group-requests.ts):
 *
 * - `GET /groups`: a JSON array of GroupSummary, only the groups whose selector the token may read
 * - `GET /groups/{name}`: the GroupInfo (404 `not-found`; 403 `forbidden` without read on its selector)
 * - `POST /groups/{name}/replay-parked`: `{group, parked}` (403 `forbidden` without write on its selector)
 *
 * A server whose store keeps no groups answers each of them 501 `unsupported`.
 *
 * @throws TauonError `not-found` for a path or method that is none of these.
 */
export function groupRoute(method: string, path: readonly string[]): GroupRoute {
  if (method === 'GET' && path.length === 0) {
    return { frame: { type: 'groups', id: 0 }, body: (answer) => (answer.type === 'group-list' ? answer.groups : answer) };
  }
  const [group] = path;
  if (method === 'GET' && path.length === 1) {
    return { frame: { type: 'group', id: 0, group }, body: (answer) => (answer.type === 'group-info' ? answer.group : answer) };
  }
  if (method === 'POST' && path.length === 2 && path[1] === 'replay-parked') {
    return {
      frame: { type: 'replay-parked', id: 0, group },
      body: (answer) => (answer.type === 'replaying' ? { group: answer.group, parked: answer.parked } : answer),
    };
  }
  throw new TauonError('not-found', `no route ${method} /groups${path.map((part) => `/${encodeURIComponent(part)}`).join('')}`);
}
