import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EventFilter, GroupName, StreamSelector, type StoredEvent } from '../../protocol/frames.js';
import { canonicalFilter } from '../groups/group-definition.js';
import { plainValueProblem } from './projection-value.js';

/**
 * A server-side projection (issue 18, docs/projections.md): a fold of the events of a selector
 * into a state, kept in the store with the checkpoint it includes. Registered with the server in
 * code (`TauonServerOptions.projections`) or by module path in the configuration file
 * (`projections`).
 *
 * @example
 * const ordersByCustomer: ProjectionDefinition<{ count: number }> = {
 *   name: 'orders-by-customer',
 *   stream: 'orders.*',
 *   filter: { types: ['OrderPlaced'] },
 *   initial: { count: 0 },
 *   key: (event) => (event.data as { customer?: string }).customer,
 *   evolve: (state, event) => ({ count: state.count + 1 }),
 * };
 */
export interface ProjectionDefinition<S = unknown> {
  /** 1 to 200 code points, no `*`, not starting with `$` (as a consumer group's name, SPEC 17.2). */
  readonly name: string;
  /** What it folds: one stream, a prefix pattern (`orders.*`) or `$all`. */
  readonly stream: string;
  /** Exact filters by type and key (SPEC 5.9): other events are passed over, their positions still counted. */
  readonly filter?: EventFilter;
  /** The state before the first event (of each key, when keyed): plain data, copied for each key. */
  readonly initial: S;
  /**
   * The next state: a pure, synchronous function of the state and the event. The state it gets is
   * frozen: return a new one. Returning `undefined` removes the state (of the key): the next event
   * starts from `initial` again. A throw, or a state that is not plain data or is larger than
   * {@link MAX_PROJECTION_VALUE_BYTES}, stops the projection (status `failed`).
   */
  // A method, so that a definition of a state type of its own is a ProjectionDefinition (of unknown) too.
  evolve(state: S, event: StoredEvent): S | undefined;
  /**
   * Keyed: the key of the state an event folds into (one state per key), 1 to 256 code points.
   * Events for which it answers `undefined` are passed over. Absent: one state, under the key `''`.
   */
  readonly key?: (event: StoredEvent) => string | undefined;
  /**
   * What the server does when it finds a state made by another definition (another selector,
   * filter, initial state, evolve or key function): `'fail'` stops the projection with an error
   * that asks for a rebuild; `'rebuild'` starts it over from the start of its selector.
   * @default 'fail'
   */
  readonly onChange?: 'fail' | 'rebuild';
}

/** The largest state of one key, in bytes of its JSON text: it must fit in one frame of a client. */
export const MAX_PROJECTION_VALUE_BYTES = 512 * 1024;

/** The most projections one server runs: each runs a loop and keeps a page of events in memory. */
export const MAX_PROJECTIONS = 100;

/** A definition that cannot be registered: the message names it and says what is wrong. */
export class ProjectionDefinitionError extends TypeError {
  override readonly name = 'ProjectionDefinitionError';
}

const DefinitionShape = z.object({
  name: GroupName,
  stream: StreamSelector,
  filter: z.strictObject(EventFilter.shape).optional(),
  evolve: z.custom<(state: unknown, event: StoredEvent) => unknown>((value) => typeof value === 'function', 'must be a function (state, event) => state'),
  key: z.custom<(event: StoredEvent) => string | undefined>((value) => typeof value === 'function', 'must be a function (event) => string | undefined').optional(),
  onChange: z.enum(['fail', 'rebuild']).optional(),
});

/**
 * Checks a definition (as given in code or exported by a module) and returns it.
 * @throws ProjectionDefinitionError naming the projection (or its place, `where`) and every problem.
 */
export function checkDefinition(candidate: unknown, where: string): ProjectionDefinition {
  const label = typeof (candidate as { name?: unknown } | null)?.name === 'string' ? `projection "${(candidate as { name: string }).name}"` : where;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new ProjectionDefinitionError(`${where}: a projection definition is an object {name, stream, initial, evolve, ...}, not ${candidate === null ? 'null' : typeof candidate}`);
  }
  const result = DefinitionShape.safeParse(candidate);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || 'definition'}: ${issue.message}`);
  if (!('initial' in candidate)) problems.push('initial: missing (the state before the first event)');
  else {
    const problem = plainValueProblem(candidate.initial);
    if (problem !== undefined) problems.push(`initial: ${problem}`);
  }
  if (problems.length > 0) throw new ProjectionDefinitionError(`${label}: ${problems.join('; ')}`);
  return candidate as ProjectionDefinition;
}

/**
 * Checks a server's definitions: each one, and that no two share a name.
 * @throws ProjectionDefinitionError
 */
export function checkDefinitions(candidates: readonly unknown[]): ProjectionDefinition[] {
  if (candidates.length > MAX_PROJECTIONS) throw new ProjectionDefinitionError(`a server runs at most ${MAX_PROJECTIONS} projections, not ${candidates.length}`);
  const seen = new Set<string>();
  return candidates.map((candidate, index) => {
    const definition = checkDefinition(candidate, `projections[${index}]`);
    if (seen.has(definition.name)) throw new ProjectionDefinitionError(`projection "${definition.name}" is registered twice`);
    seen.add(definition.name);
    return definition;
  });
}

/**
 * The definition's fingerprint, kept in its record (ProjectionRecord.definition): a hash of its
 * selector, filter, initial state, whether it is keyed, and the source text of its evolve and key
 * functions, so that a state made by another definition is noticed. (A change to what those
 * functions close over is not seen: rebuild by hand then.)
 */
export function fingerprintOf(definition: ProjectionDefinition): string {
  const described = JSON.stringify([
    definition.stream,
    definition.filter === undefined ? null : canonicalFilter(definition.filter),
    definition.initial,
    definition.evolve.toString(),
    definition.key === undefined ? null : definition.key.toString(),
  ]);
  return createHash('sha256').update(described).digest('base64url').slice(0, 22);
}
