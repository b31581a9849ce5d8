import { TauonError } from '../../protocol/errors.js';
import type { ConsumeFrame, EventFilter } from '../../protocol/frames.js';
import { headOf, type Selector } from '../selector.js';
import { deepEqual } from '../stores/deep-equal.js';
import type { EventStore } from '../stores/event-store.js';
import type { GroupState, GroupStore, VersionedGroupState } from './group-store.js';

/** Partitions of a group whose first `consume` names none. */
export const DEFAULT_PARTITIONS = 16;

/** How many times a creation races another server's before giving up. */
const CREATE_ATTEMPTS = 8;

/**
 * The group's document: the stored one when the group exists (refused `group-mismatch` when the
 * consume names another selector, filter or partition count), else a new one made by this
 * consume (SPEC 17.2), written unless another server made it first.
 */
export async function loadOrCreateGroup(
  groups: GroupStore,
  store: EventStore,
  frame: Pick<ConsumeFrame, 'group' | 'stream' | 'filter' | 'partitions' | 'from'>,
  selector: Selector,
): Promise<VersionedGroupState> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt += 1) {
    const found = await groups.load(frame.group);
    if (found !== undefined) {
      const mismatch = mismatchOf(found.state, frame);
      if (mismatch !== undefined) throw new TauonError('group-mismatch', `group "${frame.group}" ${mismatch}`, { details: { group: frame.group } });
      return found;
    }
    const partitions = frame.partitions ?? DEFAULT_PARTITIONS;
    const checkpoint = frame.from === 'end' ? await headOf(store, selector) : 0;
    const state: GroupState = {
      v: 1,
      stream: frame.stream,
      filter: frame.filter === undefined ? null : canonicalFilter(frame.filter),
      partitions,
      created: Date.now(),
      lastGen: 0,
      members: {},
      parts: Array.from({ length: partitions }, () => ({ owner: null, gen: 0, revoking: false, checkpoint, replayed: 0 })),
      replay: 0,
    };
    const revision = await groups.save(frame.group, state, undefined);
    if (revision !== undefined) return { state, revision };
  }
  throw new TauonError('overloaded', `group "${frame.group}" is being made by another server; try again`);
}

/** Why a consume does not match the group, or undefined when it does. */
function mismatchOf(state: GroupState, frame: Pick<ConsumeFrame, 'stream' | 'filter' | 'partitions'>): string | undefined {
  if (state.stream !== frame.stream) return `consumes ${JSON.stringify(state.stream)}, not ${JSON.stringify(frame.stream)}`;
  const asked = frame.filter === undefined ? null : canonicalFilter(frame.filter);
  // By value: a store may hand the document back with its keys in another order (jsonb).
  if (!deepEqual(state.filter, asked)) return `has the filter ${JSON.stringify(state.filter)}, not ${JSON.stringify(asked)}`;
  if (frame.partitions !== undefined && frame.partitions !== state.partitions) {
    return `has ${state.partitions} partitions, not ${frame.partitions}`;
  }
  return undefined;
}

/** A filter as a group keeps it: its lists sorted and without repeats, since they are sets. */
export function canonicalFilter(filter: EventFilter): EventFilter {
  return {
    ...(filter.types === undefined ? {} : { types: [...new Set(filter.types)].sort() }),
    ...(filter.keys === undefined ? {} : { keys: [...new Set(filter.keys)].sort() }),
  };
}
