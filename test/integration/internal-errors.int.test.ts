import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { TauonError } from '../../protocol/errors.js';
import type { StoredEvent, StreamSummary } from '../../protocol/frames.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import type { InternalErrorRecord } from '../../server-reference/internal-errors.js';
import { TauonServer } from '../../server-reference/server.js';
import type { AppendHooks, AppendOutcome, AppendRequest, Direction } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { sendHttp } from '../support/http-request.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

/** A real stack overflow: the RangeError a library throws on data nested too deep. */
function overflow(): never {
  const recurse = (depth: number): number => recurse(depth + 1) + 1;
  recurse(0);
  throw new Error('unreachable: the recursion did not overflow');
}

/**
 * A memory store with faults in it: every operation on a stream whose name starts with `boom`
 * overflows the stack (surface: reported as stores report it, an `internal` TauonError that
 * quotes the library). Everything else is the real store.
 */
class FaultyStore extends MemoryStore {
  override readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    if (stream.startsWith('boom')) overflow();
    return super.readStream(stream, from, direction, limit);
  }

  override append(requests: readonly AppendRequest[], hooks?: AppendHooks): Promise<AppendOutcome[]> {
    if (requests.some((request) => request.stream.startsWith('boom'))) {
      try {
        overflow();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return super.append(requests, hooks);
  }

  // A boom stream says it holds an event, so that a cold subscription reads it (and overflows)
  // rather than completing at once on an empty stream.
  override streamInfo(stream: string): Promise<StreamSummary | undefined> {
    if (stream.startsWith('boom')) return Promise.resolve({ stream, head: 1, count: 1, tx: 1, lastPos: 1, lastRecorded: 0 });
    return super.streamInfo(stream);
  }

  override surface(stream: string): Promise<StoredEvent[]> {
    if (stream.startsWith('boom')) {
      try {
        overflow();
      } catch (error) {
        return Promise.reject(new TauonError('internal', `memory store: ${String(error)}`, { cause: error }));
      }
    }
    return super.surface(stream);
  }
}

const GENERIC = /^internal error, id ([0-9a-f]{16})$/;

/** Checks that a client was told only the generic message, and that the log has the whole error under its id. */
function expectReported(error: unknown, log: readonly InternalErrorRecord[], context: string): void {
  expect(error).toBeInstanceOf(TauonError);
  const { code, message, details } = error as TauonError;
  expect(code).toBe('internal');
  expect(message).toMatch(GENERIC);
  expect(message).not.toMatch(/RangeError|Maximum call stack/);
  const errorId = GENERIC.exec(message)![1]!;
  expect(details).toEqual({ errorId });
  const records = log.filter((record) => record.errorId === errorId);
  expect(records, 'logged once, under the id the client was told').toHaveLength(1);
  expect(records[0]!.context).toBe(context);
  const logged = records[0]!.error as Error;
  const original = (logged instanceof RangeError ? logged : logged.cause) as Error;
  expect(original).toBeInstanceOf(RangeError);
  expect(original.message).toBe('Maximum call stack size exceeded');
  expect(original.stack).toContain('recurse');
}

describe.each(TRANSPORTS)('an internal error over %s', (kind) => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('answers a generic message with an id, and logs the whole error with the id', async () => {
    const log: InternalErrorRecord[] = [];
    running = await startServer(kind, { store: new FaultyStore(), errorLog: (record) => log.push(record), onClose: () => Promise.resolve() });
    const client = await connect(running.transport);
    try {
      expectReported(await client.read('boom.read').catch((error: unknown) => error), log, 'read');
      expectReported(await client.surface('boom.surface').catch((error: unknown) => error), log, 'surface');
      expectReported(await client.emit('boom.append', { type: 'Lost' }).catch((error: unknown) => error), log, 'append');
      const failed = await firstValueFrom(client.subscribe('boom.sub', { mode: 'cold' }).pipe(toArray())).catch((error: unknown) => error);
      expectReported(failed, log, 'subscription');
      // The session goes on: the store's other streams answer as ever.
      expect((await client.emit('fine', { type: 'Kept' })).seq).toBe(1);
      expect(log).toHaveLength(4);
    } finally {
      await client.close();
      await running.store.close();
    }
  });
});

describe('an internal error over HTTP', () => {
  it('answers 500 with a generic message and an id, and logs the whole error with the id', async () => {
    const log: InternalErrorRecord[] = [];
    const store = new FaultyStore();
    const server = new TauonServer({ store, errorLog: (record) => log.push(record) });
    const http = createServer(createHttpApi(server));
    await new Promise<void>((ready) => http.listen(0, '127.0.0.1', ready));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const asError = (body: string): TauonError => {
        const { error } = JSON.parse(body) as { error: { code: 'internal'; message: string; details?: Record<string, unknown> } };
        return new TauonError(error.code, error.message, { details: error.details });
      };
      const read = await sendHttp(`${base}/streams/boom.read/events`);
      expect(read.status).toBe(500);
      expectReported(asError(read.body), log, 'read');
      const surface = await sendHttp(`${base}/streams/boom.surface/surface`);
      expect(surface.status).toBe(500);
      expectReported(asError(surface.body), log, 'surface');
      const posted = await sendHttp(`${base}/streams/boom.append/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type":"Lost"}',
      });
      expect(posted.status).toBe(500);
      expectReported(asError(posted.body), log, 'append');
      expect(log).toHaveLength(3);
      // Other errors keep their own message and status.
      const missing = await sendHttp(`${base}/streams/fine/events?from=event:nope`);
      expect(missing.status).toBe(404);
      expect(log).toHaveLength(3);
    } finally {
      await server.close();
      await new Promise<void>((closed) => {
        http.close(() => closed());
        http.closeAllConnections();
      });
      await store.close();
    }
  });
});
