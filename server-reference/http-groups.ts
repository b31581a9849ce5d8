import { ForbiddenError, TauonError } from '../protocol/errors.js';
import { GroupName, type GroupInfo, type GroupSummary } from '../protocol/frames.js';
import type { Permissions } from './auth/permissions.js';
import { parseSelector } from './selector.js';

/**
 * What the HTTP API asks of a server's consumer groups (SPEC 17): `TauonServer.groups`, which is
 * undefined when the store keeps no groups.
 */
export interface GroupQueries {
  /** Every group in brief, in name order. */
  list(): Promise<GroupSummary[]>;
  /** One group in full, or undefined when there is no such group. */
  info(name: string): Promise<GroupInfo | undefined>;
  /** Has each partition's owner deliver the group's parked events again; resolves with how many were parked. */
  replayParked(name: string): Promise<number>;
}

/**
 * The routes of consumer groups, the path after `/groups` (segments decoded):
 *
 * - `GET /groups`: a JSON array of GroupSummary, only the groups whose selector the token may read
 * - `GET /groups/{name}`: the GroupInfo; 404 `not-found` when there is no such group, or the token
 *   may not read its selector (a token learns nothing of groups it cannot see)
 * - `POST /groups/{name}/replay-parked`: `{group, parked}`; needs write on the group's selector
 *   (403 `forbidden` naming it when the token may read it; 404 when it may neither read nor write it)
 *
 * A server whose store keeps no groups answers each of them 501 `unsupported`.
 *
 * @throws TauonError with the code the HTTP API answers.
 */
export async function answerGroupRoute(
  groups: GroupQueries | undefined,
  method: string,
  path: readonly string[],
  permissions: Permissions,
): Promise<[number, unknown]> {
  const route = routeOf(method, path);
  if (route === undefined) throw new TauonError('not-found', `no route ${method} /groups${path.map((part) => `/${encodeURIComponent(part)}`).join('')}`);
  if (groups === undefined) throw new TauonError('unsupported', 'this server serves no consumer groups: its store keeps none');
  if (route.kind === 'list') {
    const all = await groups.list();
    return [200, all.filter((summary) => permissions.mayRead(parseSelector(summary.stream)))];
  }
  const info = await groups.info(route.name);
  const selector = info === undefined ? undefined : parseSelector(info.stream);
  const mayRead = selector !== undefined && permissions.mayRead(selector);
  const mayWrite = selector !== undefined && permissions.write.covers(selector);
  // A group is visible to whom may read or write its selector; to others it does not exist.
  if (info === undefined || !(mayRead || (route.kind === 'replay' && mayWrite))) {
    throw new TauonError('not-found', `no group "${route.name}"`, { details: { group: route.name } });
  }
  if (route.kind === 'info') return [200, info];
  if (!mayWrite) throw new ForbiddenError('write', info.stream);
  const parked = await groups.replayParked(route.name);
  return [200, { group: route.name, parked }];
}

type GroupRoute = { kind: 'list' } | { kind: 'info' | 'replay'; name: string };

function routeOf(method: string, path: readonly string[]): GroupRoute | undefined {
  if (method === 'GET' && path.length === 0) return { kind: 'list' };
  if (method === 'GET' && path.length === 1) return { kind: 'info', name: groupName(path[0]!) };
  if (method === 'POST' && path.length === 2 && path[1] === 'replay-parked') return { kind: 'replay', name: groupName(path[0]!) };
  return undefined;
}

/** The name as the protocol takes it; 400 `bad-frame` otherwise, as a frame naming it would be. */
function groupName(text: string): string {
  const parsed = GroupName.safeParse(text);
  if (!parsed.success) {
    throw new TauonError('bad-frame', `"${text.slice(0, 64)}" is not a group name: 1 to 200 characters, no "*", not starting with "$"`);
  }
  return parsed.data;
}
