import type { StoredEvent } from '../../protocol/frames.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import { KIT_PROJECTION } from './cases/projections.js';

/**
 * The projection the conformance kit's cases of SPEC 18 read (docs/testing.md): over `$all`, a
 * count of events per event type. A server under the kit runs it under this name; the reference
 * server's kit runs register this definition.
 */
// Typed as the server's option takes it (a ProjectionDefinition<number> is not one of unknown).
export const KIT_COUNTS_PROJECTION: ProjectionDefinition = {
  name: KIT_PROJECTION,
  stream: '$all',
  initial: 0,
  key: (event: StoredEvent) => event.type,
  evolve: (count) => (count as number) + 1,
};

/** The same, as the default export a configuration file's `projections` module path loads. */
export default KIT_COUNTS_PROJECTION;
