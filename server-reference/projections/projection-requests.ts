import { ForbiddenError, TauonError } from '../../protocol/errors.js';
import type {
  ProjectionEntriesFrame,
  ProjectionFrame,
  ProjectionsFrame,
  ProjectionSummary as WireProjectionSummary,
  RebuildProjectionFrame,
  ServerFrame,
  ServerLimits,
} from '../../protocol/frames.js';
import type { Permissions } from '../auth/permissions.js';
import { parseSelector } from '../selector.js';
import type { ProjectionService, ProjectionSummary } from './projection-service.js';

/** The requests about projections (SPEC 18) that have one answer each. */
export type ProjectionRequest = ProjectionsFrame | ProjectionFrame | ProjectionEntriesFrame | RebuildProjectionFrame;

/** How long a `projection` with `atLeast` and no `timeoutMs` waits (SPEC 18.5). */
export const DEFAULT_PROJECTION_WAIT_MS = 5000;

/** Entries of a `projection-entries` without `limit` (or with `limits.maxReadLimit` when lower), as a `read`'s events. */
export const DEFAULT_ENTRIES_LIMIT = 100;

/**
 * Answers `projections` (those whose selector the caller may read), `projection` and
 * `projection-entries` (read on all of the projection's selector) and `rebuild-projection`
 * (write on all of it); `unsupported` when the server runs no projections. A name the server
 * runs no projection of fails `not-found` (from the service), before permissions are looked at.
 */
export async function answerProjectionRequest(
  service: ProjectionService | undefined,
  frame: ProjectionRequest,
  permissions: Permissions,
  limits: ServerLimits,
): Promise<ServerFrame> {
  if (service === undefined) throw unsupportedProjections();
  switch (frame.type) {
    case 'projections': {
      const all = await service.list();
      return { type: 'projection-list', id: frame.id, projections: all.filter((one) => permissions.mayRead(parseSelector(one.stream))).map(wireSummary) };
    }
    case 'projection': {
      await readableProjection(service, frame.name, permissions);
      const options = frame.atLeast === undefined ? {} : { atLeast: frame.atLeast, timeoutMs: frame.timeoutMs ?? DEFAULT_PROJECTION_WAIT_MS };
      const read = await service.get(frame.name, frame.key ?? '', options);
      return {
        type: 'projection-state',
        id: frame.id,
        name: read.name,
        key: read.key,
        ...(read.value === undefined ? {} : { value: read.value }),
        found: read.found,
        checkpoint: read.checkpoint,
      };
    }
    case 'projection-entries': {
      await readableProjection(service, frame.name, permissions);
      const limit = Math.min(frame.limit ?? DEFAULT_ENTRIES_LIMIT, limits.maxReadLimit);
      const page = await service.entries(frame.name, frame.after, limit);
      const entries = page.entries.map((entry) => ({ key: entry.key, value: entry.value }));
      const last = entries.at(-1);
      return {
        type: 'projection-page',
        id: frame.id,
        name: page.name,
        entries,
        next: page.more && last !== undefined ? last.key : null,
        checkpoint: page.checkpoint,
      };
    }
    case 'rebuild-projection': {
      const summary = await service.summary(frame.name);
      if (!permissions.unrestricted && !permissions.write.covers(parseSelector(summary.stream))) throw new ForbiddenError('write', summary.stream);
      await service.rebuild(frame.name);
      return { type: 'projection-rebuilding', id: frame.id, name: frame.name };
    }
  }
}

/** The projection's summary, once the caller may read all of its selector (SPEC 18.3). */
export async function readableProjection(service: ProjectionService, name: string, permissions: Permissions): Promise<ProjectionSummary> {
  const summary = await service.summary(name);
  if (!permissions.mayRead(parseSelector(summary.stream))) throw new ForbiddenError('read', summary.stream);
  return summary;
}

/** The failure of a projection frame on a server that runs none (SPEC 18.1). */
export function unsupportedProjections(): TauonError {
  return new TauonError('unsupported', 'this server runs no projections');
}

/** A summary as the wire carries it: only the fields of SPEC 18.2, `error` only when there is one. */
function wireSummary(summary: ProjectionSummary): WireProjectionSummary {
  return {
    name: summary.name,
    stream: summary.stream,
    keyed: summary.keyed,
    status: summary.status,
    ...(summary.error === undefined ? {} : { error: summary.error }),
    checkpoint: summary.checkpoint,
    head: summary.head,
    lag: summary.lag,
  };
}
