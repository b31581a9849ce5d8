import type { ServerLimits, StreamListFrame, StreamsFrame, StreamSummary } from '../../protocol/frames.js';
import { DEFAULT_PAGE_LIMIT, streamList, streamListPage } from '../queries.js';
import type { EventStore } from '../stores/event-store.js';
import { compareNames } from '../stores/name-order.js';
import type { Permissions } from './permissions.js';

/**
 * Answers `streams` with only the streams the session may read. The store is asked only about
 * what the permissions cover under the requested prefix (one listing per granted prefix, one
 * lookup per granted stream name), so that neither the page nor its `next` names a stream the
 * session may not read, and a page is full whenever more readable streams follow.
 */
export async function readableStreamList(
  store: EventStore,
  limits: ServerLimits,
  frame: StreamsFrame,
  permissions: Permissions,
): Promise<StreamListFrame> {
  const prefix = frame.prefix ?? '';
  if (permissions.read.coversPrefix(prefix)) return streamList(store, limits, frame);
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  const after = frame.after;
  const { prefixes, streams } = permissions.read.under(prefix);
  const found: StreamSummary[] = [];
  // One more than the page takes, so that `next` is null exactly when no readable stream follows.
  const wanted = limit + 1;
  for (const granted of prefixes) found.push(...(await store.listStreams(granted, after, wanted)));
  // Granted names in order; only the first `wanted` that exist can make it onto the page.
  const names = streams.filter((name) => after === undefined || compareNames(name, after) > 0).sort(compareNames);
  let existing = 0;
  for (const name of names) {
    if (existing === wanted) break;
    const summary = await store.streamInfo(name);
    if (summary === undefined) continue;
    found.push(summary);
    existing += 1;
  }
  found.sort((a, b) => compareNames(a.stream, b.stream));
  return streamListPage(frame.id, found, limit);
}
