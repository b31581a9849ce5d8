import { Observable } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import { Fifo } from './fifo.js';
import { isPromise } from './typed-standard-schema.js';

/** What one step makes of an item: a value to pass on, nothing, or the end of the Observable with an error. */
export type StepOutcome<R> = { readonly next: R } | { readonly skip: true } | { readonly error: unknown };

type Entry<T> = { readonly item: T } | { readonly complete: true } | { readonly error: unknown };

/**
 * Maps each item through `step`, which may answer with a promise (an async schema), and passes
 * the outcomes on strictly in the order the items came, completion and errors included: an item
 * waits behind a pending one. While every step answers synchronously nothing waits, so a run of
 * events is handed on in the same tick it arrived.
 *
 * Items that arrive while a step is pending are held here (an Observable has no way to slow its
 * source); the subscription's credit was returned when they were handed to this operator.
 */
export function inOrder<T, R>(step: (item: T) => StepOutcome<R> | Promise<StepOutcome<R>>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue = new Fifo<Entry<T>>();
      let pending = false;
      let draining = false;

      const apply = (outcome: StepOutcome<R>): void => {
        if ('next' in outcome) subscriber.next(outcome.next);
        else if ('error' in outcome) subscriber.error(outcome.error);
      };

      const drain = (): void => {
        if (draining) return; // an item that arrives while we hand one on waits for this loop
        draining = true;
        try {
          while (!pending && !subscriber.closed) {
            const entry = queue.shift();
            if (entry === undefined) break;
            if ('complete' in entry) {
              subscriber.complete();
            } else if ('error' in entry) {
              subscriber.error(entry.error);
            } else {
              let outcome: StepOutcome<R> | Promise<StepOutcome<R>>;
              try {
                outcome = step(entry.item);
              } catch (error) {
                subscriber.error(error);
                break;
              }
              if (isPromise(outcome)) {
                pending = true;
                outcome.then(
                  (settled) => {
                    pending = false;
                    apply(settled);
                    drain();
                  },
                  (error: unknown) => {
                    pending = false;
                    subscriber.error(error);
                  },
                );
              } else {
                apply(outcome);
              }
            }
          }
        } finally {
          draining = false;
        }
      };

      const subscription = source.subscribe({
        next: (item) => {
          queue.push({ item });
          drain();
        },
        error: (error: unknown) => {
          queue.push({ error });
          drain();
        },
        complete: () => {
          queue.push({ complete: true });
          drain();
        },
      });
      return () => {
        subscription.unsubscribe();
        queue.clear();
      };
    });
}
