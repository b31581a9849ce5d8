import { Observable, throwError } from 'rxjs';
import { TauonError } from '../protocol/errors.js';
import type { EventFilter, StoredEvent } from '../protocol/frames.js';
import { decodeEvent, receivePolicy } from './typed-decode.js';
import type { Decoded, ReceivePolicy } from './typed-decode.js';
import { TypedEmitter } from './typed-emit.js';
import type { EventDeclaration } from './typed-events.js';
import { inOrder } from './typed-in-order.js';
import type { StepOutcome } from './typed-in-order.js';
import { TypedIterator } from './typed-iterator.js';
import { isPromise } from './typed-standard-schema.js';
import type { TypedClient, TypedEventIterator, TypedReadOptions, TypedReadResult, TypedReceiveOptions, TypedSubscribeOptions } from './typed-types.js';
import type { Client, EmitAck, EmitEvent, EmitOptions, FeedItem } from './types.js';

/**
 * A typed view of `client` through `declaration`: typed emits, and reads and subscriptions that
 * check what they receive and narrow by `type`. Costs nothing on the connection: it is the same
 * client, and several typed views may share it. Throws a `TauonError` (code `bad-frame`) when
 * `declaration` was not made by `defineEvents`.
 * @example
 * ```ts
 * const orders = typed(client, orderEvents);
 * await orders.emit('orders.42', { type: 'OrderPlaced', data: { orderId: '42', total: 30 } });
 * orders.subscribe('orders.*').subscribe((event) => {
 *   if (event.type === 'OrderPlaced') console.log(event.data.total); // data typed by the schema
 * });
 * ```
 */
export function typed<D extends EventDeclaration>(client: Client, declaration: D): TypedClient<D> {
  if (typeof declaration?.has !== 'function' || typeof declaration.schemaUriOf !== 'function') {
    throw new TauonError('bad-frame', 'typed: the declaration is one that defineEvents made');
  }
  return new TypedView(client, declaration) as unknown as TypedClient<D>;
}

/** The most types a filter names (SPEC 8). */
const MAX_FILTER_TYPES = 1000;

/**
 * What the client underneath is given: the untyped options, and, when undeclared types would be
 * skipped and no `types` filter is set, a filter of the declared types, so that the server does
 * not send what would be dropped here (positions still count every event: resuming stays exact).
 */
function untyped<O extends TypedReceiveOptions & { filter?: EventFilter }>(
  declaration: EventDeclaration,
  policy: ReceivePolicy,
  options: O | undefined,
): Omit<O, keyof TypedReceiveOptions> | undefined {
  const { onInvalid: _onInvalid, unknown: _unknown, ...rest } = options ?? ({} as O);
  const declared = declaration.types;
  if (policy.unknown !== 'skip' || rest.filter?.types !== undefined || declared.length === 0 || declared.length > MAX_FILTER_TYPES) {
    return options === undefined ? undefined : rest;
  }
  return { ...rest, filter: { ...rest.filter, types: [...declared] } };
}

/** A decoded event as an Observable step: the typed event itself, or the invalid / untyped item. */
function eventStep(decoded: Decoded): StepOutcome<unknown> {
  if (decoded.kind === 'skip') return { skip: true };
  if (decoded.kind === 'error') return { error: decoded.error };
  return { next: decoded.kind === 'typed' ? decoded.event : decoded };
}

/** A decoded event as a feed step: the typed event in an `event` item, or the invalid / untyped item. */
function feedStep(decoded: Decoded): StepOutcome<unknown> {
  if (decoded.kind === 'typed') return { next: { kind: 'event', event: decoded.event } };
  return eventStep(decoded);
}

/** `map` applied to a value, or to a promise of one: synchronous for a value, so no tick is lost. */
function then<A, B>(value: A | Promise<A>, map: (value: A) => B): B | Promise<B> {
  return isPromise(value) ? value.then(map) : map(value);
}

/** The implementation behind {@link typed}; its generic signatures are the interface's. */
class TypedView {
  private readonly emitter: TypedEmitter;

  constructor(
    readonly client: Client,
    readonly events: EventDeclaration,
  ) {
    this.emitter = new TypedEmitter(client, events);
  }

  emit(stream: string, events: EmitEvent | EmitEvent[], options?: EmitOptions): Promise<EmitAck> {
    return this.emitter.emit(stream, events, options);
  }

  subscribe(stream: string, options?: TypedSubscribeOptions): Observable<unknown> {
    return this.checked(options, (policy) =>
      this.client.subscribe(stream, untyped(this.events, policy, options)).pipe(inOrder((event) => then(this.decode(policy, event), eventStep))),
    );
  }

  feed(stream: string, options?: TypedSubscribeOptions): Observable<unknown> {
    return this.checked(options, (policy) =>
      this.client
        .feed(stream, untyped(this.events, policy, options))
        .pipe(
          inOrder((item: FeedItem): StepOutcome<unknown> | Promise<StepOutcome<unknown>> =>
            item.kind === 'event' ? then(this.decode(policy, item.event), feedStep) : { next: item },
          ),
        ),
    );
  }

  replay(stream: string, options?: Omit<TypedSubscribeOptions, 'mode'>): Observable<unknown> {
    return this.subscribe(stream, { ...options, mode: 'cold' });
  }

  live(stream: string, options?: Omit<TypedSubscribeOptions, 'mode'>): Observable<unknown> {
    return this.subscribe(stream, { ...options, mode: 'hot' });
  }

  iterate(stream: string, options?: TypedSubscribeOptions): TypedEventIterator<unknown> {
    const policy = receivePolicy(options);
    if (!('onInvalid' in policy)) return failedIterator(policy);
    return new TypedIterator(this.client.iterate(stream, untyped(this.events, policy, options)), (event) =>
      this.decode(policy, event),
    );
  }

  async read(stream: string, options?: TypedReadOptions): Promise<TypedReadResult<unknown>> {
    const policy = receivePolicy(options);
    if (!('onInvalid' in policy)) throw policy;
    const page = await this.client.read(stream, untyped(this.events, policy, options));
    return { events: await this.decodeAll(policy, page.events), next: page.next };
  }

  async surface(stream: string, options?: TypedReceiveOptions): Promise<unknown[]> {
    const policy = receivePolicy(options);
    if (!('onInvalid' in policy)) throw policy;
    return this.decodeAll(policy, await this.client.surface(stream));
  }

  private decode(policy: ReceivePolicy, event: StoredEvent): Decoded | Promise<Decoded> {
    return decodeEvent(this.events, policy, event);
  }

  /** Checks a page's events (async schemas at once), keeping their order; the first error in order fails it. */
  private async decodeAll(policy: ReceivePolicy, events: readonly StoredEvent[]): Promise<unknown[]> {
    const decoded = await Promise.all(events.map((event) => Promise.resolve(this.decode(policy, event))));
    const out: unknown[] = [];
    for (const item of decoded) {
      const step = eventStep(item);
      if ('error' in step) throw step.error;
      if ('next' in step) out.push(step.next);
    }
    return out;
  }

  /** The Observable `make` builds for the options' policy, or one that errors at subscribe with the options' problem. */
  private checked(options: TypedReceiveOptions | undefined, make: (policy: ReceivePolicy) => Observable<unknown>): Observable<unknown> {
    const policy = receivePolicy(options);
    if (!('onInvalid' in policy)) return throwError(() => policy);
    // Not rxjs's defer, which brings its innerFrom and tslib's generator helpers (1.8 KB gzipped) into browser bundles.
    return new Observable((subscriber) => make(policy).subscribe(subscriber));
  }
}

/** An iterator whose first pull rejects with `error` (options that are not valid). */
function failedIterator(error: TauonError): TypedEventIterator<unknown> {
  let failed = false;
  const iterator: TypedEventIterator<unknown> = {
    next: () => {
      if (failed) return Promise.resolve({ done: true, value: undefined });
      failed = true;
      return Promise.reject(error);
    },
    return: () => {
      failed = true;
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
