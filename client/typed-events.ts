import { TauonError } from '../protocol/errors.js';
import type { StoredEvent } from '../protocol/frames.js';
import { checkEvent } from './emit-check.js';
import type { EmitEvent } from './types.js';
import { isStandardSchema } from './typed-standard-schema.js';
import type { StandardSchemaV1 } from './typed-standard-schema.js';

/** The schemas of a declaration: one Standard Schema (zod 4, valibot, arktype, ...) per event type. */
export type EventSchemas = Readonly<Record<string, StandardSchemaV1>>;

/** Options of {@link defineEvents}: where the `schema` field of an emitted event comes from. */
export interface DefineEventsOptions<S extends EventSchemas> {
  /**
   * A URI per type, set as the `schema` field (SPEC 5.2) of every event of that type a typed
   * client emits. Wins over `schemaBase`.
   */
  schemaUris?: { readonly [K in keyof S]?: string };
  /**
   * A URI prefix: an event of type `T` without a URI of its own in `schemaUris` is emitted with
   * `schema` set to `schemaBase + T` (`'https://example.com/schemas/'` gives
   * `https://example.com/schemas/OrderPlaced`). When neither is given, `schema` is left out.
   */
  schemaBase?: string;
}

/**
 * Event types declared once, with a schema for the `data` of each. Made by {@link defineEvents};
 * hand it to {@link typed} for a typed client, and name its events with {@link EventOf} and
 * {@link EmitEventOf}.
 */
export interface EventDeclaration<S extends EventSchemas = EventSchemas> {
  /** The schema of each type. */
  readonly schemas: S;
  // Only `schemas` mentions S: a `keyof S` here would make declarations invariant in S, and
  // no declaration would then be assignable to the plain `EventDeclaration` functions take.
  /** The declared types, in declaration order (`EventTypeOf` names them as a type). */
  readonly types: readonly string[];
  /** True when `type` is declared. */
  has(type: string): boolean;
  /** The `schema` URI that events of `type` are emitted with, if the declaration gives one. */
  schemaUriOf(type: string): string | undefined;
}

/** The schemas of a declaration. */
export type SchemasOf<D extends EventDeclaration> = D['schemas'];

/** The declared event types of a declaration, as a union of string literals. */
export type EventTypeOf<D extends EventDeclaration> = keyof SchemasOf<D> & string;

/** The `data` of an event of type `K` as it is received: the output of its schema. */
export type EventDataOf<D extends EventDeclaration, K extends EventTypeOf<D>> = StandardSchemaV1.InferOutput<SchemasOf<D>[K]>;

/** The `data` of an event of type `K` as it is emitted: the input of its schema. */
export type EmitDataOf<D extends EventDeclaration, K extends EventTypeOf<D>> = StandardSchemaV1.InferInput<SchemasOf<D>[K]>;

/** A stored event whose `type` is `K` and whose `data` was checked to be a `Data`. */
export type TypedEvent<K extends string, Data> = Omit<StoredEvent, 'type' | 'data'> & { type: K; data: Data };

/**
 * The union of a declaration's events as received (one member per type, told apart by `type`):
 * what typed subscriptions and reads deliver, and what a projection or a decider folds.
 * @example
 * ```ts
 * type OrderEvent = EventOf<typeof orderEvents>;
 * function evolve(state: Order, event: OrderEvent): Order {
 *   switch (event.type) {
 *     case 'OrderPlaced': return { ...state, total: event.data.total }; // data narrowed by type
 *     case 'OrderShipped': return { ...state, shipped: true };
 *   }
 * }
 * ```
 */
export type EventOf<D extends EventDeclaration> = { [K in EventTypeOf<D>]: TypedEvent<K, EventDataOf<D, K>> }[EventTypeOf<D>];

/**
 * The union of a declaration's events as given to a typed `emit` (or returned by a decider):
 * an {@link EmitEvent} whose `type` is declared and whose `data` is the input of its schema.
 * `schema` is not given: it comes from the declaration. `data` is optional when the schema accepts
 * `undefined`.
 */
export type EmitEventOf<D extends EventDeclaration> = {
  [K in EventTypeOf<D>]: Omit<EmitEvent, 'type' | 'data' | 'schema'> & { type: K } & (undefined extends EmitDataOf<D, K>
      ? { data?: EmitDataOf<D, K> }
      : { data: EmitDataOf<D, K> });
}[EventTypeOf<D>];

const MAX_SCHEMA_URI_LENGTH = 1024;

/**
 * Declares event types once, with a Standard Schema for the `data` of each (zod 4, valibot,
 * arktype: whatever implements standardschema.dev; client/ imports none of them). Throws a
 * {@link TauonError} (code `bad-frame`, or `forbidden` for a type starting with `$`) when a type
 * name could not be emitted, a value is not a schema, or a schema URI is not 1 to 1024 characters.
 * @example
 * ```ts
 * import * as z from 'zod';
 * const orderEvents = defineEvents(
 *   {
 *     OrderPlaced: z.object({ orderId: z.string(), total: z.number() }),
 *     OrderShipped: z.object({ orderId: z.string() }),
 *   },
 *   { schemaBase: 'https://example.com/schemas/orders/' },
 * );
 * ```
 */
export function defineEvents<const S extends EventSchemas>(schemas: S, options: DefineEventsOptions<S> = {}): EventDeclaration<S> {
  const types = Object.keys(schemas);
  for (const type of types) {
    const problem = checkEvent({ type });
    if (problem !== undefined) throw new TauonError(problem.code, `defineEvents: ${problem.message}`);
    if (!isStandardSchema(schemas[type as keyof S])) {
      throw new TauonError('bad-frame', `defineEvents: the schema of ${type} does not implement Standard Schema v1 (no "~standard" with version 1)`);
    }
  }
  const known = new Set<string>(types);
  const uris = new Map<string, string>();
  for (const [type, uri] of Object.entries<string | undefined>(options.schemaUris ?? {})) {
    if (uri === undefined) continue;
    if (!known.has(type)) throw new TauonError('bad-frame', `defineEvents: schemaUris names ${type}, which is not declared`);
    uris.set(type, checkedUri(uri, type));
  }
  if (options.schemaBase !== undefined) {
    for (const type of types) if (!uris.has(type)) uris.set(type, checkedUri(options.schemaBase + type, type));
  }
  return {
    schemas,
    types,
    has: (type) => known.has(type),
    schemaUriOf: (type) => uris.get(type),
  };
}

function checkedUri(uri: unknown, type: string): string {
  if (typeof uri !== 'string' || uri.length < 1 || uri.length > MAX_SCHEMA_URI_LENGTH) {
    throw new TauonError('bad-frame', `defineEvents: the schema URI of ${type} is a string of 1..${MAX_SCHEMA_URI_LENGTH} characters`);
  }
  return uri;
}
