import { describe, expect, it } from 'vitest';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs } from '../../transports/ws/index.js';

/*
 * The HTTP API's `condition` parameter (SPEC 5.8.1): an append condition as JSON on
 * `POST /streams/{stream}/events`, answered 201 when it holds, 409 `condition-failed` when it
 * does not, 400 `bad-frame` when it is not a condition.
 */

describe('POST /streams/{stream}/events?condition=', () => {
  it('appends when the condition holds, answers 409 condition-failed when it does not, and 400 for a malformed one', async () => {
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    const listener = await listenWs({ onRequest: createHttpApi(server) });
    await server.listen(listener.transport);
    const base = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
    const post = async (stream: string, body: unknown, condition?: string) => {
      const query = condition === undefined ? '' : `?condition=${encodeURIComponent(condition)}`;
      const response = await fetch(`${base}/streams/${stream}/events${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      const reserved = await post('seats.a', { type: 'SeatReserved', key: 'seat-7' });
      expect(reserved.status).toBe(201);
      const at = (reserved.body['positions'] as number[])[0]!;
      const condition = (after: number) => JSON.stringify({ stream: 'seats.*', types: ['SeatReserved'], keys: ['seat-7'], after });
      expect((await post('seats.b', { type: 'Booked', key: 'seat-7' }, condition(at))).status).toBe(201);
      const failed = await post('seats.c', { type: 'Booked', key: 'seat-7' }, condition(at - 1));
      expect(failed).toEqual({ status: 409, body: { error: expect.objectContaining({ code: 'condition-failed', details: { stream: 'seats.c', pos: at } }) as unknown } });
      expect((await post('seats.d', { type: 'T' }, 'not json')).status).toBe(400);
      expect((await post('seats.d', { type: 'T' }, '{"stream":"seats.*","types":[],"after":0}')).status).toBe(400);
      expect(await store.streamInfo('seats.c')).toBeUndefined();
      expect(await store.streamInfo('seats.d')).toBeUndefined();
    } finally {
      await server.close();
      await listener.close();
      await store.close();
    }
  });
});
