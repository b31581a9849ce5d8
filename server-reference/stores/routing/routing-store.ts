import type { StoredEvent, StreamSummary } from '../../../protocol/frames.js';
import { ChainBrokenError, TauonError } from '../../../protocol/errors.js';
import type { AppendOutcome, AppendRequest, Direction, EncodedEvents, EventStore } from '../event-store.js';
import type { GroupStore } from '../../groups/group-store.js';
import type { ProjectionStore } from '../../projections/projection-store.js';
import { compareNames } from '../name-order.js';
import { derivedStoreId } from '../store-identity.js';

/** Streams whose name starts with `prefix` go to `store`. */
export interface Route {
  /** A non-empty prefix of stream names; the longest matching prefix wins. */
  readonly prefix: string;
  readonly store: EventStore;
}

/** Options of {@link RoutingStore}. */
export interface RoutingStoreOptions {
  /** The routes, in any order (the longest matching prefix wins, not the first). */
  readonly routes: readonly Route[];
  /** Where the streams that no route matches go. */
  readonly fallback: EventStore;
  /**
   * Names of the stores for error messages (the names of a config file's `stores`).
   * @default the store's kind, numbered when two stores have the same kind
   */
  readonly names?: ReadonlyMap<EventStore, string>;
}

/**
 * An EventStore that puts each stream in one of several stores by the prefix of its name: the
 * longest route prefix the name starts with picks the store, and a name no route matches goes to
 * the fallback. It owns the stores behind it: `close()` closes each of them once.
 *
 * Rules, because each store numbers its positions on its own:
 * - A stream lives in exactly one store, so everything about one stream (append, expected
 *   version, chain-broken, reads by seq, surface, invalidation) is that store's.
 * - A pattern (`prefix*`) whose streams all route to one store is served by that store, with that
 *   store's positions. `$all`, and a pattern whose streams may route to more than one store, are
 *   refused with `forbidden`: there is no single order of positions across stores.
 * - One `append` call may write to several stores: each store gets its requests, in order, as one
 *   call; the stores are not one transaction (each request is still atomic), and a store that
 *   fails as a whole fails only its own requests.
 * - Event ids are unique per store: the same id in two stores is not detected. `findEvent` asks
 *   every store.
 * - `listStreams` merges the stores' lists in name order. `onCommit` hears every store, each
 *   store's commits in its own order. `headPosition()` without a prefix (for `info`) answers the
 *   fallback store's head; with a prefix it answers the head of the one store under the prefix.
 * - A store should hold only the streams routed to it: changing the routes does not move events.
 * - Consumer groups (`groups`) are the fallback's: every group's state is kept there, whatever
 *   its selector, so a group has one home however the routes change. A fallback without groups
 *   means a routing store without groups, even when a route's store has them.
 * - Projections (`projections`) are the fallback's too, for the same reason: a projection's
 *   record and values are kept there whatever its selector, and a fallback without projections
 *   means a routing store without them.
 *
 * @example
 * const store = new RoutingStore({
 *   routes: [{ prefix: 'orders.', store: await PostgresStore.open('postgres://127.0.0.1/test') }],
 *   fallback: await LmdbStore.open('./data'),
 * });
 */
export class RoutingStore implements EventStore {
  readonly kind = 'routing';
  /**
   * Derived from the fallback's id and each route's prefix and store id: stable across restarts
   * while the stores and routes are, another id when a store behind it or a route changes.
   */
  readonly id: string;
  /** The kinds of the stores behind this one (the fallback's first), each once. */
  readonly kinds: readonly string[];

  /** Longest prefix first, so that the first match is the longest. */
  private readonly routes: readonly Route[];
  private readonly fallback: EventStore;
  /** Every store once: the fallback, then the routes' stores in the order given. */
  private readonly stores: readonly EventStore[];
  private readonly labels: ReadonlyMap<EventStore, string>;
  private closing: Promise<void> | undefined;

  /** The fallback's consumer groups (SPEC 17), or none when it has none. */
  readonly groups?: GroupStore;
  /** The fallback's projections (issue 18), or none when it has none. */
  readonly projections?: ProjectionStore;

  /**
   * Present when every store behind this one checks append conditions (SPEC 5.8.1). A request's
   * condition is then checked by the store of its stream, and only when every stream its selector
   * can select is in that store too (positions are per store, and one store's lock or
   * transaction covers only its own events); any other condition fails `unsupported`.
   */
  readonly checksAppendConditions?: boolean;
  /** Present when every store behind this one has it (see EventStore.readStreamEncoded). */
  readonly readStreamEncoded?: (stream: string, from: number, limit: number) => Promise<EncodedEvents>;
  /** Present when every store behind this one has it; refused like `readAll` when `$all` spans stores. */
  readonly readAllEncoded?: (from: number, limit: number) => Promise<EncodedEvents>;

  /** @throws TauonError (`internal`) when a prefix is empty or routed twice. */
  constructor(options: RoutingStoreOptions) {
    const seen = new Set<string>();
    for (const route of options.routes) {
      if (route.prefix === '') {
        throw new TauonError('internal', 'routing store: a route needs a non-empty prefix (the fallback takes the rest)');
      }
      if (seen.has(route.prefix)) throw new TauonError('internal', `routing store: prefix "${route.prefix}" is routed twice`);
      seen.add(route.prefix);
    }
    this.routes = [...options.routes].sort((a, b) => b.prefix.length - a.prefix.length);
    this.fallback = options.fallback;
    this.stores = [...new Set([options.fallback, ...options.routes.map((route) => route.store)])];
    this.kinds = [...new Set(this.stores.flatMap((store) => store.kinds ?? [store.kind]))];
    this.labels = labelStores(this.stores, options.names);
    const routed = [...options.routes]
      .sort((a, b) => compareNames(a.prefix, b.prefix))
      .map((route): [string, string] => [route.prefix, route.store.id]);
    this.id = derivedStoreId([['', options.fallback.id], ...routed]);
    if (options.fallback.groups !== undefined) this.groups = options.fallback.groups;
    if (options.fallback.projections !== undefined) this.projections = options.fallback.projections;
    if (this.stores.every((store) => store.checksAppendConditions === true)) this.checksAppendConditions = true;
    if (this.stores.every((store) => store.readStreamEncoded !== undefined)) {
      this.readStreamEncoded = (stream, from, limit) => this.call(() => this.storeFor(stream).readStreamEncoded!(stream, from, limit));
    }
    if (this.stores.every((store) => store.readAllEncoded !== undefined)) {
      this.readAllEncoded = (from, limit) => this.call(() => this.storeUnder(undefined, 'read').readAllEncoded!(from, limit));
    }
  }

  /** The store that holds `stream`: the one of the longest route prefix it starts with, or the fallback. */
  storeFor(stream: string): EventStore {
    for (const route of this.routes) if (stream.startsWith(route.prefix)) return route.store;
    return this.fallback;
  }

  append(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    const refused = this.conditionRefusals(requests);
    if (refused !== undefined) return this.appendWithRefusals(requests, refused);
    const groups = new Map<EventStore, { indexes: number[]; requests: AppendRequest[] }>();
    requests.forEach((request, index) => {
      const store = this.storeFor(request.stream);
      let group = groups.get(store);
      if (group === undefined) groups.set(store, (group = { indexes: [], requests: [] }));
      group.indexes.push(index);
      group.requests.push(request);
    });
    const [only] = groups.keys();
    if (groups.size <= 1) return only === undefined ? Promise.resolve([]) : appendTo(only, requests);
    // Every store gets its part now, synchronously, so that calls reach each store in the order
    // they were made here (per-stream order across calls holds because a stream has one store).
    const parts = [...groups].map(([store, group]) =>
      appendTo(store, group.requests).then(
        (outcomes): AppendOutcome[] => outcomes,
        (error: unknown): TauonError => asTauonError(error, this.labelOf(store)),
      ),
    );
    return Promise.all(parts).then((settled) => {
      const errors = settled.filter((part) => part instanceof TauonError);
      if (errors.length === settled.length) throw errors[0]!;
      const outcomes = new Array<AppendOutcome>(requests.length);
      [...groups.values()].forEach((group, g) => {
        const part = settled[g]!;
        group.indexes.forEach((index, i) => {
          // A store that failed as a whole failed its own requests; the others' stand.
          outcomes[index] = part instanceof TauonError ? { ok: false, error: part } : part[i]!;
        });
      });
      return outcomes;
    });
  }

  /**
   * The requests whose condition this store cannot have checked (see checksAppendConditions), with
   * the failure of each, and of the requests to their streams after them in the call
   * (`chain-broken`); undefined when there are none, the usual case.
   */
  private conditionRefusals(requests: readonly AppendRequest[]): Map<number, TauonError> | undefined {
    let refused: Map<number, TauonError> | undefined;
    let broken: Set<string> | undefined;
    requests.forEach((request, index) => {
      if (broken?.has(request.stream)) {
        refused!.set(index, new ChainBrokenError(request.stream));
        return;
      }
      const condition = request.condition;
      if (condition === undefined) return;
      const selector = condition.stream;
      const prefix = selector === '$all' || selector === '*' ? '' : selector.endsWith('*') ? selector.slice(0, -1) : undefined;
      const stores = prefix === undefined ? [this.storeFor(selector)] : this.storesUnder(prefix);
      const home = this.storeFor(request.stream);
      if (this.checksAppendConditions === true && stores.length === 1 && stores[0] === home) return;
      (refused ??= new Map()).set(
        index,
        new TauonError(
          'unsupported',
          `cannot check a condition on "${selector}" with an append to "${request.stream}": the streams it selects are not all in the store of "${request.stream}" (${this.labelOf(home)})`,
        ),
      );
      (broken ??= new Set()).add(request.stream);
    });
    return refused;
  }

  /** Appends the requests not refused, and answers the refused ones with their failure, in place. */
  private async appendWithRefusals(requests: readonly AppendRequest[], refused: ReadonlyMap<number, TauonError>): Promise<AppendOutcome[]> {
    const kept = requests.filter((_, index) => !refused.has(index));
    const written = kept.length === 0 ? [] : await this.append(kept);
    let next = 0;
    return requests.map((_, index) => {
      const error = refused.get(index);
      return error === undefined ? written[next++]! : { ok: false, error };
    });
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return this.call(() => this.storeFor(stream).readStream(stream, from, direction, limit));
  }

  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    return this.call(() => this.storeUnder(prefix, 'read').readAll(from, direction, limit, prefix));
  }

  /**
   * Asks every store. A match in the store its stream routes to wins; otherwise (an event left
   * in a store the routes no longer lead to) the first match, the fallback's first.
   */
  findEvent(id: string): Promise<StoredEvent | undefined> {
    return this.call(async () => {
      const found = await Promise.all(this.stores.map((store) => store.findEvent(id)));
      const routed = found.find((event, i) => event !== undefined && this.storeFor(event.stream) === this.stores[i]);
      return routed ?? found.find((event) => event !== undefined);
    });
  }

  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined> {
    return this.call(() =>
      stream !== undefined
        ? this.storeFor(stream).findByTime(time, stream)
        : this.storeUnder(prefix, 'look up by time').findByTime(time, undefined, prefix),
    );
  }

  streamInfo(stream: string): Promise<StreamSummary | undefined> {
    return this.call(() => this.storeFor(stream).streamInfo(stream));
  }

  /** Merges the lists of the stores that may hold streams under `prefix`, in name order. */
  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]> {
    return this.call(async () => {
      const stores = this.storesUnder(prefix);
      if (stores.length === 1) return stores[0]!.listStreams(prefix, after, limit);
      const lists = await Promise.all(stores.map((store) => store.listStreams(prefix, after, limit)));
      return lists
        .flat()
        .sort((a, b) => compareNames(a.stream, b.stream))
        .slice(0, Math.max(limit, 0));
    });
  }

  surface(stream: string): Promise<StoredEvent[]> {
    return this.call(() => this.storeFor(stream).surface(stream));
  }

  /**
   * Without `prefix` (as `info` asks): the fallback store's head. With a prefix: the head of the
   * one store that holds the streams under it, in that store's positions; `''` (every stream, as
   * `$all`) or a prefix whose streams span stores is refused like `readAll`.
   */
  headPosition(prefix?: string): Promise<number> {
    return this.call(() => {
      if (prefix === undefined) return this.fallback.headPosition();
      return this.storeUnder(prefix, 'follow').headPosition(prefix);
    });
  }

  /** Hears every store's commits; each store's in its own commit order. */
  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void {
    const removers = this.stores.map((store) => store.onCommit(listener));
    return () => {
      for (const remove of removers) remove();
    };
  }

  /** Hears the commit durations of every store behind this one that reports them. */
  onCommitDuration(listener: (seconds: number) => void): () => void {
    const removers = this.stores.map((store) => store.onCommitDuration?.(listener));
    return () => {
      for (const remove of removers) remove?.();
    };
  }

  /** Closes every store behind this one, once; fails with the first store that failed to close. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(this.stores.map((store) => store.close())).then((results) => {
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    });
    return this.closing;
  }

  /** Every store that may hold a stream whose name starts with `prefix`. */
  private storesUnder(prefix: string): EventStore[] {
    // The stream named `prefix` itself goes to storeFor(prefix); names under it that start with
    // a longer route's prefix go to that route's store. No other store can hold one of them.
    const found = new Set([this.storeFor(prefix)]);
    for (const route of this.routes) {
      if (route.prefix.length > prefix.length && route.prefix.startsWith(prefix)) found.add(route.store);
    }
    return [...found];
  }

  /** The one store under `prefix` (undefined or '' = every stream), or the `forbidden` refusal. */
  private storeUnder(prefix: string | undefined, action: string): EventStore {
    const under = prefix ?? '';
    const stores = this.storesUnder(under);
    if (stores.length === 1) return stores[0]!;
    const pattern = under === '' ? '$all' : `${under}*`;
    const covering = this.routes.find((route) => under.startsWith(route.prefix));
    const inner = this.routes.filter((route) => route.prefix.length > under.length && route.prefix.startsWith(under));
    const routes = [
      ...[...inner].sort((a, b) => compareNames(a.prefix, b.prefix)).map((route) => `"${route.prefix}" -> ${this.labelOf(route.store)}`),
      covering === undefined
        ? `the rest -> ${this.labelOf(this.fallback)}`
        : `"${covering.prefix}" -> ${this.labelOf(covering.store)}`,
    ];
    throw new TauonError(
      'forbidden',
      `cannot ${action} "${pattern}": its streams are in more than one store (${routes.join(', ')}), ` +
        'and positions are per store; use a pattern whose streams are all in one store',
      { details: { pattern, routes } },
    );
  }

  private labelOf(store: EventStore): string {
    return this.labels.get(store) ?? store.kind;
  }

  /** Runs a call on an open store, turning a synchronous throw into a rejection. */
  private call<T>(run: () => Promise<T> | T): Promise<T> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TauonError('internal', String(error)));
    }
  }
}

/** `store.append(requests)`, with a synchronous throw turned into a rejection. */
function appendTo(store: EventStore, requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
  try {
    return store.append(requests);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new TauonError('internal', String(error)));
  }
}

/** A label per store: its given name, else its kind, numbered when kinds repeat ("lmdb 2"). */
function labelStores(stores: readonly EventStore[], names: ReadonlyMap<EventStore, string> | undefined): Map<EventStore, string> {
  const labels = new Map<EventStore, string>();
  const perKind = new Map<string, number>();
  for (const store of stores) perKind.set(store.kind, (perKind.get(store.kind) ?? 0) + 1);
  const numbered = new Map<string, number>();
  for (const store of stores) {
    const name = names?.get(store);
    if (name !== undefined) {
      labels.set(store, `${name} (${store.kind})`);
      continue;
    }
    const n = (numbered.get(store.kind) ?? 0) + 1;
    numbered.set(store.kind, n);
    labels.set(store, perKind.get(store.kind)! > 1 ? `${store.kind} ${n}` : store.kind);
  }
  return labels;
}

function asTauonError(error: unknown, label: string): TauonError {
  if (error instanceof TauonError) return error;
  return new TauonError('internal', `store ${label} failed: ${String(error)}`, { cause: error });
}

function closedError(): TauonError {
  return new TauonError('internal', 'the routing store is closed');
}
