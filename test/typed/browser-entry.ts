import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { z } from 'zod';
import { connect, defineEvents, EventValidationError, project, typed } from '../../client/index.js';
import type { ClientTransport } from '../../client/index.js';

/*
 * Bundled for the browser by browser-bundle.int.test.ts and run in a context with a browser's
 * globals and none of Node's: typed events and the projection operator end to end, against a
 * server the test runs outside that context.
 */

const events = defineEvents({ Added: z.object({ n: z.number().int() }) }, { schemaBase: 'urn:browser-test:' });

/** Emits, checks a bad emit, replays with an invalid event delivered, and projects a feed; says what it saw. */
export async function run(transport: ClientTransport): Promise<Record<string, unknown>> {
  const client = await connect(transport);
  try {
    const counter = typed(client, events);
    await counter.emit('browser', [
      { type: 'Added', data: { n: 1 } },
      { type: 'Added', data: { n: 2 } },
    ]);
    const refused = await counter.emit('browser', { type: 'Added', data: { n: 0.5 } }).then(
      () => 'accepted',
      (error: unknown) => (error instanceof EventValidationError ? error.code : String(error)),
    );
    await client.emit('browser', { type: 'Added', data: { n: 'three' } });
    const replayed = await lastValueFrom(counter.replay('browser', { onInvalid: 'deliver' }).pipe(toArray()));
    const sum = await firstValueFrom(
      counter
        .feed('browser', { onInvalid: 'deliver', mode: 'cold' })
        .pipe(project({ initial: () => 0, evolve: (total, event) => total + event.data.n }), take(1)),
    );
    return {
      refused,
      replayed: replayed.map((item) => ('kind' in item ? item.kind : item.data.n)),
      schema: (await client.read('browser')).events[0]?.schema,
      sum,
    };
  } finally {
    await client.close();
  }
}
