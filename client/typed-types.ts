import type { Observable } from 'rxjs';
import type { StartPosition, StoredEvent } from '../protocol/frames.js';
import type { EventDeclaration, EventOf, EmitEventOf } from './typed-events.js';
import type { SchemaIssue } from './typed-standard-schema.js';
import type { CaughtUpItem, Client, EmitAck, EmitOptions, FellBehindItem, ReadOptions, SubscribeOptions } from './types.js';

/**
 * What a typed read or subscription does with an event of a declared type whose `data` does not
 * match its schema: `error` ends the Observable (or rejects the read) with an
 * `EventValidationError`; `deliver` hands it on as an {@link InvalidEvent}.
 */
export type OnInvalid = 'error' | 'deliver';

/**
 * What a typed read or subscription does with an event whose type is not declared: `skip` drops
 * it; `pass` hands it on as an {@link UntypedEvent}; `error` ends the Observable (or rejects the
 * read) with an `UnknownEventTypeError`. System events (types starting with `$`, such as
 * `$invalidated`) are handed on as an {@link UntypedEvent} with `pass`, and dropped otherwise:
 * they never raise an error.
 */
export type OnUnknown = 'pass' | 'skip' | 'error';

/** How a typed read or subscription treats what does not match the declaration. */
export interface TypedReceiveOptions {
  /**
   * An event of a declared type with data its schema refuses.
   * @default 'error'
   */
  onInvalid?: OnInvalid;
  /**
   * An event of a type the declaration does not name (a tolerant reader skips it). With `skip`
   * and no `types` filter of the caller's, the server is asked for the declared types only.
   * @default 'skip'
   */
  unknown?: OnUnknown;
}

/** Options of a typed `subscribe`, `feed` and `iterate`. */
export interface TypedSubscribeOptions extends SubscribeOptions, TypedReceiveOptions {}

/** Options of a typed `replay` and `live`. */
export type TypedModeOptions = Omit<TypedSubscribeOptions, 'mode'>;

/** Options of a typed `read`. */
export interface TypedReadOptions extends ReadOptions, TypedReceiveOptions {}

/** An event of a declared type whose `data` its schema refused (delivered with `onInvalid: 'deliver'`). */
export interface InvalidEvent {
  kind: 'invalid';
  /** The event as received, its data unchecked. */
  event: StoredEvent;
  /** What the schema found. */
  issues: readonly SchemaIssue[];
}

/** An event of an undeclared type, or a system event (delivered with `unknown: 'pass'`). */
export interface UntypedEvent {
  kind: 'untyped';
  /** The event as received. */
  event: StoredEvent;
}

/** A checked event of a typed feed. */
export interface TypedEventItem<E> {
  kind: 'event';
  event: E;
}

/**
 * What a typed `subscribe`, `replay`, `live`, `iterate`, `read` and `surface` deliver: the
 * declaration's events (told apart by `type`), plus an {@link InvalidEvent} when `onInvalid` may
 * be `'deliver'` and an {@link UntypedEvent} when `unknown` may be `'pass'` (those two have a
 * `kind` and no `type`: tell them apart with `'kind' in item`).
 */
export type Received<D extends EventDeclaration, O> = EventOf<D> | ExtraItems<O>;

/**
 * The items besides the declaration's events that options `O` may bring: {@link InvalidEvent}
 * when `onInvalid` may be `'deliver'` (a literal, or a wider type that includes it), and
 * {@link UntypedEvent} when `unknown` may be `'pass'`.
 */
export type ExtraItems<O> =
  | ('onInvalid' extends keyof O ? ('deliver' extends O['onInvalid' & keyof O] ? InvalidEvent : never) : never)
  | ('unknown' extends keyof O ? ('pass' extends O['unknown' & keyof O] ? UntypedEvent : never) : never);

/**
 * What a typed `feed` emits, in order: each event as a {@link TypedEventItem} (or an
 * {@link InvalidEvent} / {@link UntypedEvent}, by the options), and the subscription's
 * `caught-up` and `fell-behind` signals between them. Tell them apart by `kind`.
 */
export type TypedFeedItem<D extends EventDeclaration, O> =
  | TypedEventItem<EventOf<D>>
  | ExtraItems<O>
  | CaughtUpItem
  | FellBehindItem;

/** One page of a typed read. */
export interface TypedReadResult<T> {
  /** The page's events, checked, in order. Skipped events leave it shorter than `limit`. */
  events: T[];
  /** Pass as `from` to read the next page (it counts skipped events); null when this page reached the end. */
  next: StartPosition | null;
}

/** A pull-based iterator of a typed subscription: each event is checked as it is pulled. */
export interface TypedEventIterator<T> extends AsyncIterableIterator<T, undefined, undefined> {
  /** The next event; done when the subscription completed or was returned; rejects with the subscription's error, or a typed error by the options. */
  next(): Promise<IteratorResult<T, undefined>>;
  /** Ends the subscription; later calls of `next` are done. */
  return(): Promise<IteratorResult<T, undefined>>;
}

/** No options given: the defaults. */
export type NoOptions = Record<never, never>;

/**
 * A {@link Client} seen through an {@link EventDeclaration}: emits check `data` against the
 * schema of its type before anything is sent; reads and subscriptions check what they receive
 * and deliver the declaration's events as a union told apart by `type`. Get one with `typed()`.
 * Schemas may be async: every method keeps the order of events and emits.
 */
export interface TypedClient<D extends EventDeclaration> {
  /** The client underneath, for everything untyped. */
  readonly client: Client;
  /** The declaration. */
  readonly events: D;
  /**
   * Checks the event's `data` against the schema of its `type` (the data is sent as given, not
   * the schema's output), sets its `schema` field from the declaration, then emits it as
   * {@link Client.emit} does. Rejects without sending anything with an `EventValidationError`
   * (code `bad-frame`) when the data does not match, or an `UnknownEventTypeError` when the type
   * is not declared; several events are all checked first, and none is sent if one fails. Emits
   * leave the typed client in the order they were called, async schemas or not.
   * @example
   * ```ts
   * await orders.emit('orders.42', { type: 'OrderPlaced', data: { orderId: '42', total: 30 } });
   * ```
   */
  emit(stream: string, event: EmitEventOf<D>, options?: EmitOptions): Promise<EmitAck>;
  emit(stream: string, events: EmitEventOf<D>[], options?: EmitOptions): Promise<EmitAck>;
  /**
   * {@link Client.subscribe}, checked: a cold Observable of the declaration's events, in order.
   * @example
   * ```ts
   * orders.subscribe('orders.*', { unknown: 'error' }).subscribe((event) => {
   *   if (event.type === 'OrderPlaced') console.log(event.data.total); // data typed by its schema
   * });
   * ```
   */
  subscribe<const O extends TypedSubscribeOptions = NoOptions>(stream: string, options?: O): Observable<Received<D, O>>;
  /**
   * {@link Client.feed}, checked: a cold Observable of {@link TypedFeedItem}s, in order.
   * @example
   * ```ts
   * orders.feed('orders.42').subscribe((item) => {
   *   if (item.kind === 'event') console.log(item.event.type);
   * });
   * ```
   */
  feed<const O extends TypedSubscribeOptions = NoOptions>(stream: string, options?: O): Observable<TypedFeedItem<D, O>>;
  /**
   * {@link Client.replay}, checked: history up to the head, then complete. A cold Observable.
   * @example
   * ```ts
   * import { firstValueFrom, toArray } from 'rxjs';
   * const history = await firstValueFrom(orders.replay('orders.42').pipe(toArray()));
   * ```
   */
  replay<const O extends TypedModeOptions = NoOptions>(stream: string, options?: O): Observable<Received<D, O>>;
  /**
   * {@link Client.live}, checked: only what commits after it starts. A cold Observable.
   * @example
   * ```ts
   * orders.live('orders.*', { filter: { types: ['OrderShipped'] } }).subscribe((event) => console.log('shipped', event.data.orderId));
   * ```
   */
  live<const O extends TypedModeOptions = NoOptions>(stream: string, options?: O): Observable<Received<D, O>>;
  /**
   * {@link Client.iterate}, checked as each event is pulled (skipped events pull the next one).
   * @example
   * ```ts
   * for await (const event of orders.iterate('orders.42', { mode: 'cold' })) console.log(event.type);
   * ```
   */
  iterate<const O extends TypedSubscribeOptions = NoOptions>(stream: string, options?: O): TypedEventIterator<Received<D, O>>;
  /**
   * {@link Client.read}, checked: one page of the declaration's events.
   * @example
   * ```ts
   * const { events, next } = await orders.read('orders.42', { limit: 100 });
   * ```
   */
  read<const O extends TypedReadOptions = NoOptions>(stream: string, options?: O): Promise<TypedReadResult<Received<D, O>>>;
  /**
   * {@link Client.surface}, checked: the newest event of each key.
   * @example
   * ```ts
   * const newestPerKey = await orders.surface('orders.42');
   * ```
   */
  surface<const O extends TypedReceiveOptions = NoOptions>(stream: string, options?: O): Promise<Received<D, O>[]>;
}
