import { ForbiddenError, TauonError } from '../protocol/errors.js';
import type { Permissions } from './auth/permissions.js';
import type { ProjectionsEngine } from './projections/projections-engine.js';
import { parseSelector } from './selector.js';

/** Entries a keyed projection's `GET /projections/{name}` answers when `limit` is not given. */
export const DEFAULT_HTTP_ENTRIES = 100;

/**
 * The routes of server-side projections (SPEC 18, docs/projections.md), the path after
 * `/projections` (segments decoded):
 *
 * - `GET /projections`: a JSON array of ProjectionSummary, the projections whose selector the token may read
 * - `GET /projections/{name}?atLeast=&timeoutMs=&after=&limit=`: the whole state with the
 *   projection's status: an unkeyed one's value (`{name, key: "", value, found, checkpoint,
 *   status, error?}`), a keyed one's entries in key order after `after`, at most `limit` (1 to
 *   1000, default 100; `{name, entries, more, checkpoint, status, error?}`)
 * - `GET /projections/{name}/{key}?atLeast=&timeoutMs=`: one key's value (`{name, key, value, found, checkpoint}`)
 * - `POST /projections/{name}/rebuild`: starts it over; `{name, status}` once its state was reset
 *
 * `atLeast` (a position of its selector) waits until the state includes it, up to `timeoutMs`
 * (default 5000, at most 60000): 504 `timeout` past it, 409 `projection-failed` when the
 * projection failed before it. Reads need read on the projection's selector, a rebuild write
 * on all of it (403 `forbidden`); an unknown name is 404 `not-found`; a server whose store keeps
 * no projections answers 501 `unsupported`.
 *
 * @throws TauonError with the code the HTTP API answers with.
 */
export async function answerProjectionRoute(
  engine: ProjectionsEngine | undefined,
  method: string,
  path: readonly string[],
  query: URLSearchParams,
  permissions: Permissions,
): Promise<[number, unknown]> {
  const route = `${method} /projections${path.map((part) => `/${encodeURIComponent(part)}`).join('')}`;
  const known =
    (method === 'GET' && path.length <= 2) || (method === 'POST' && path.length === 2 && path[1] === 'rebuild');
  if (!known) throw new TauonError('not-found', `no route ${route}`);
  if (engine === undefined) throw new TauonError('unsupported', 'this server runs no projections: its store keeps none');
  if (path.length === 0) {
    const summaries = await engine.list();
    return [200, summaries.filter((summary) => permissions.mayRead(parseSelector(summary.stream)))];
  }
  const name = path[0]!;
  const stream = engine.selectorOf(name);
  const selector = parseSelector(stream);
  if (method === 'POST') {
    if (!permissions.unrestricted && !permissions.write.covers(selector)) throw new ForbiddenError('write', stream);
    await engine.rebuild(name);
    return [200, { name, status: (await engine.summary(name)).status }];
  }
  if (!permissions.mayRead(selector)) throw new ForbiddenError('read', stream);
  const atLeast = integerParam(query, 'atLeast');
  const timeoutMs = integerParam(query, 'timeoutMs');
  if (path.length === 2) {
    return [200, await engine.get(name, path[1]!, { ...(atLeast === undefined ? {} : { atLeast }), ...(timeoutMs === undefined ? {} : { timeoutMs }) })];
  }
  if (atLeast !== undefined) await engine.reached(name, atLeast, timeoutMs);
  const summary = await engine.summary(name);
  const status = { status: summary.status, ...(summary.error === undefined ? {} : { error: summary.error }) };
  if (!summary.keyed) return [200, { ...(await engine.get(name, '')), ...status }];
  const page = await engine.entries(name, query.get('after') ?? undefined, integerParam(query, 'limit') ?? DEFAULT_HTTP_ENTRIES);
  return [200, { ...page, ...status }];
}

/** A query parameter that must be a non-negative integer when given. @throws TauonError `bad-frame` */
function integerParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TauonError('bad-frame', `${name} must be a non-negative integer, not ${JSON.stringify(text.slice(0, 64))}`);
  }
  return Number(text);
}
