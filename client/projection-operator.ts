import { Observable } from 'rxjs';
import type { OperatorFunction } from 'rxjs';

/**
 * An item a projection reads: a feed item of `client.feed()` or of a typed feed. Events come as
 * `{kind: 'event', event}`; `caught-up` and `fell-behind` say where the subscription is; any
 * other kind (a typed feed's `invalid` or `untyped` items) is left out of the fold.
 */
export interface ProjectableItem {
  readonly kind: string;
}

/** The event type of a feed's `event` items. */
export type ProjectedEvent<I> = I extends { readonly kind: 'event'; readonly event: infer E } ? E : never;

/** A projection to one state. */
export interface ProjectionOptions<E, S> {
  /** The state before any event; called once per subscription, so a state is never shared between two. */
  initial: () => S;
  /**
   * The state after `event`. A pure function: return a new state for a change, or the same
   * state (`===`) when the event changes nothing, which emits nothing.
   */
  evolve: (state: S, event: E) => S;
}

/** A projection to one state per key. */
export interface KeyedProjectionOptions<E, S> {
  /** The key an event belongs to (`(event) => event.key`, say); an event without one (undefined) is left out. */
  key: (event: E) => string | undefined;
  /** The state of a key before its first event. */
  initial: (key: string) => S;
  /** The state of the event's key after `event`; the same state (`===`) when it changes nothing. */
  evolve: (state: S, event: E, key: string) => S;
}

/** What a keyed projection emits. */
export interface KeyedProjection<S> {
  /** The state of every key seen so far, in the order each was first seen. A snapshot: it never changes after it is emitted. */
  readonly states: ReadonlyMap<string, S>;
  /** The keys whose state changed since the previous emission (every key, at the first). */
  readonly changed: readonly string[];
}

// The keyed form comes first: TypeScript types the callbacks by the first overload it tries,
// and only this one gives `key` a parameter type.
/**
 * Folds a hot-cold feed into one state per key: emits a {@link KeyedProjection}, a snapshot of
 * every key's state with the keys that changed, at the moments the single-state form (below)
 * emits (so one emission per live event that changed its key's state). Each emission copies
 * the map of states, so it costs in proportion to the number of keys.
 * @example
 * ```ts
 * typedClient.feed('orders.*').pipe(
 *   project({
 *     key: (event) => event.key,
 *     initial: () => ({ total: 0 }),
 *     evolve: (order, event) => (event.type === 'OrderPlaced' ? { total: event.data.total } : order),
 *   }),
 * ).subscribe(({ states, changed }) => render(states, changed));
 * ```
 */
export function project<I extends ProjectableItem, S>(options: KeyedProjectionOptions<ProjectedEvent<I>, S>): OperatorFunction<I, KeyedProjection<S>>;
/**
 * Folds a hot-cold feed (`client.feed(stream)`, or a typed client's `feed`) into a state, and
 * emits that state when it is current:
 *
 * - nothing while the history is read; the state once at the first `caught-up` (the `initial`
 *   state for an empty stream);
 * - then the new state after each live event that changed it (`evolve` returned another state);
 * - after `fell-behind` (the subscription reads a backlog as history again) nothing per event,
 *   and the state once at the next `caught-up` if the backlog changed it;
 * - a later `caught-up` that finds nothing changed emits nothing.
 *
 * So a state is only ever emitted in order, and never one that is older than one emitted
 * before. The client resumes a subscription after a reconnect with no gap and no duplicate, so
 * the fold stays right across reconnects without replaying anything. It completes when the feed
 * completes (a cold feed: after its one emission), and errors with the feed's error or with
 * what `initial`, `key` or `evolve` throw. A cold operator: each subscription folds on its own,
 * from `initial`.
 * @example
 * ```ts
 * client.feed('orders.*').pipe(
 *   project({ initial: () => 0, evolve: (count, event) => (event.type === 'OrderPlaced' ? count + 1 : count) }),
 * ).subscribe((count) => render(count));
 * ```
 */
export function project<I extends ProjectableItem, S>(options: ProjectionOptions<ProjectedEvent<I>, S>): OperatorFunction<I, S>;
export function project<I extends ProjectableItem, S>(
  options: ProjectionOptions<ProjectedEvent<I>, S> | KeyedProjectionOptions<ProjectedEvent<I>, S>,
): OperatorFunction<I, S | KeyedProjection<S>> {
  return (source) =>
    new Observable<S | KeyedProjection<S>>((subscriber) => {
      const fold: Fold<ProjectedEvent<I>, S | KeyedProjection<S>> = 'key' in options ? keyedFold(options) : singleFold(options);
      /** Between a `caught-up` and a `fell-behind`: each change is emitted at once. */
      let live = false;
      /** Nothing is emitted before the first `caught-up`. */
      let emittedOnce = false;
      return source.subscribe({
        next: (item) => {
          try {
            if (item.kind === 'event') {
              const changed = fold.apply((item as unknown as { event: ProjectedEvent<I> }).event);
              if (changed && live) subscriber.next(fold.take());
            } else if (item.kind === 'caught-up') {
              live = true;
              if (!emittedOnce || fold.dirty()) subscriber.next(fold.take());
              emittedOnce = true;
            } else if (item.kind === 'fell-behind') {
              live = false;
            }
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

/** The state of a projection: folds events, and hands out what to emit. */
interface Fold<E, Out> {
  /** Folds one event; true when it changed the state. */
  apply(event: E): boolean;
  /** True when the state changed since the last `take`. */
  dirty(): boolean;
  /** What to emit now; clears `dirty`. */
  take(): Out;
}

function singleFold<E, S>(options: ProjectionOptions<E, S>): Fold<E, S> {
  let state = options.initial();
  let dirty = false;
  return {
    apply(event) {
      const next = options.evolve(state, event);
      if (Object.is(next, state)) return false;
      state = next;
      dirty = true;
      return true;
    },
    dirty: () => dirty,
    take() {
      dirty = false;
      return state;
    },
  };
}

function keyedFold<E, S>(options: KeyedProjectionOptions<E, S>): Fold<E, KeyedProjection<S>> {
  const states = new Map<string, S>();
  let changed = new Set<string>();
  return {
    apply(event) {
      const key = options.key(event);
      if (key === undefined) return false;
      const known = states.has(key);
      const state = known ? (states.get(key) as S) : options.initial(key);
      const next = options.evolve(state, event, key);
      // A key enters the map with its first event, whether or not that event changed its state.
      if (known && Object.is(next, state)) return false;
      states.set(key, next);
      changed.add(key);
      return true;
    },
    dirty: () => changed.size > 0,
    take() {
      const taken: KeyedProjection<S> = { states: new Map(states), changed: [...changed] };
      changed = new Set();
      return taken;
    },
  };
}
