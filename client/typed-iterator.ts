import type { StoredEvent } from '../protocol/frames.js';
import type { Decoded } from './typed-decode.js';
import type { EventIterator } from './types.js';
import type { TypedEventIterator } from './typed-types.js';

const DONE: IteratorResult<never, undefined> = { done: true, value: undefined };

/**
 * A typed pull iterator over an untyped one: each pull takes the next event, checks it, and
 * pulls again for an event the policy skips. Pulls are served one after another, so that an
 * async schema cannot hand out events out of order; credit still returns only as events are
 * pulled from the iterator underneath.
 */
export class TypedIterator<T> implements TypedEventIterator<T> {
  private queue: Promise<unknown> = Promise.resolve();
  private done = false;

  constructor(
    private readonly raw: EventIterator,
    private readonly decode: (event: StoredEvent) => Decoded | Promise<Decoded>,
  ) {}

  next(): Promise<IteratorResult<T, undefined>> {
    const pull = this.queue.then(() => this.pull());
    this.queue = pull.catch(() => undefined);
    return pull;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.done = true;
    await this.raw.return();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async pull(): Promise<IteratorResult<T, undefined>> {
    // Bounded by the subscription: every turn consumes one event of it.
    while (!this.done) {
      const result = await this.raw.next();
      if (result.done === true) return DONE;
      const decoded = await this.decode(result.value);
      if (decoded.kind === 'skip') continue;
      if (decoded.kind === 'error') {
        this.done = true;
        await this.raw.return();
        throw decoded.error;
      }
      return { done: false, value: (decoded.kind === 'typed' ? decoded.event : decoded) as T };
    }
    return DONE;
  }
}
