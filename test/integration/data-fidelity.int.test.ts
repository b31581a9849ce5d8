import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecByName, type CodecName } from '../../protocol/codec.js';
import { MAX_DATA_DEPTH } from '../../protocol/data-limits.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

/*
 * Deep nesting, lone surrogates and `__proto__` keys (issue 15, section 4): data nested deeper
 * than the limit and strings with no UTF-8 form are refused with `bad-frame`, naming the request,
 * and the session goes on; what is accepted comes back exactly as it was sent, on every
 * transport, in both codecs, from the memory and the lmdb store, and over HTTP.
 */

/** Arrays nested `depth` levels around null. */
function nested(depth: number): unknown {
  let value: unknown = null;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/**
 * The bytes of an append whose one event's data is arrays nested `depth` levels deep, written
 * by hand (an encoder would recurse that deep).
 */
function deepAppend(codec: CodecName, id: number, stream: string, depth: number): Uint8Array {
  if (codec === 'json') {
    const text = `{"type":"append","id":${id},"stream":"${stream}","events":[{"type":"Deep","data":${'['.repeat(depth)}null${']'.repeat(depth)}}]}`;
    return new TextEncoder().encode(text);
  }
  // The data field comes last in the frame, so its nil is the last byte: nest it there.
  const shell = msgpackCodec.encode({ type: 'append', id, stream, events: [{ type: 'Deep', data: null }] });
  expect(shell[shell.length - 1]).toBe(0xc0);
  const bytes = new Uint8Array(shell.length - 1 + depth + 1);
  bytes.set(shell.subarray(0, shell.length - 1));
  bytes.fill(0x91, shell.length - 1, shell.length - 1 + depth);
  bytes[bytes.length - 1] = 0xc0;
  return bytes;
}

/** Data with keys JavaScript treats specially, as JSON.parse makes them: own properties. */
function oddKeys(): Record<string, unknown> {
  return JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":1,"a":{"__proto__":[1,{"__proto__":null}]}}') as Record<string, unknown>;
}

/** The own properties of a value, all the way down, in a form toEqual compares exactly. */
function ownShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ownShape);
  if (typeof value !== 'object' || value === null) return value;
  return Object.getOwnPropertyNames(value).map((key) => [key, ownShape((value as Record<string, unknown>)[key])]);
}

const STORES: readonly { name: string; open: () => Promise<{ store: EventStore; close: () => Promise<void> }> }[] = [
  { name: 'memory', open: () => Promise.resolve({ store: new MemoryStore(), close: () => Promise.resolve() }) },
  {
    name: 'lmdb',
    open: async () => {
      const directory = await tempDir('fidelity');
      const store = await LmdbStore.open(directory.path);
      return {
        store,
        close: async () => {
          await store.close();
          await directory.remove();
        },
      };
    },
  },
];

for (const kind of TRANSPORTS) {
  for (const storeKind of STORES) {
    describe(`data fidelity over ${kind}, ${storeKind.name} store`, () => {
      let running: RunningServer;
      beforeAll(async () => {
        const { store, close } = await storeKind.open();
        running = await startServer(kind, { store, onClose: close });
      });
      afterAll(() => running.close());

      for (const codec of ['msgpack', 'json'] as const) {
        it(`${codec}: refuses data nested deeper than ${MAX_DATA_DEPTH} levels with bad-frame, naming the append, and goes on`, async () => {
          const peer = await RawPeer.open(() => running.connect(), { codec });
          const stream = `deep-${codec}`;
          peer.sendBytes(deepAppend(codec, 1, stream, MAX_DATA_DEPTH));
          expect((await peer.expect('appended', { id: 1 })).seqs).toEqual([1]);
          peer.sendBytes(deepAppend(codec, 2, stream, MAX_DATA_DEPTH + 1));
          const refused = await peer.expect('error', { id: 2 });
          expect(refused.code).toBe('bad-frame');
          expect(refused.message).toContain(`deeper than ${MAX_DATA_DEPTH} levels`);
          // Deep enough to overflow a recursive decoder: refused too, and the session stays.
          peer.sendBytes(deepAppend(codec, 3, `${stream}-far`, 5000));
          const far = await peer.expect('error', codec === 'json' ? { id: 3 } : {});
          expect(far.code).toBe('bad-frame');
          peer.send({ type: 'read', id: 4, stream });
          const page = await peer.expect('page', { id: 4 });
          expect(page.events.map((event) => event.data)).toEqual([nested(MAX_DATA_DEPTH)]);
          expect(peer.closed).toBeUndefined();
          peer.close();
        });

        it(`${codec}: refuses strings with a lone surrogate (stream, type, key, meta, data) and stores nothing`, async () => {
          const peer = await RawPeer.open(() => running.connect(), { codec });
          const stream = `lone-${codec}`;
          const cases: Record<string, unknown>[] = [
            { stream: `${stream}-\ud800`, events: [{ type: 'T' }] },
            { stream, events: [{ type: 'T\udc00' }] },
            { stream, events: [{ type: 'T', key: 'k\ud83d' }] },
            { stream, events: [{ type: 'T', meta: { m: 'x\ud800y' } }] },
            { stream, events: [{ type: 'T', data: { text: 'a\udfffb' } }] },
            { stream, events: [{ type: 'T', data: { ['k\ud800']: 1 } }] },
            { stream, events: [{ type: 'T', data: [[['\ud800']]] }] },
          ];
          let id = 10;
          for (const fields of cases) {
            id += 1;
            peer.send({ type: 'append', id, newChain: true, ...fields });
            const refused = await peer.expect('error', { id });
            expect(refused.code, JSON.stringify(fields)).toBe('bad-frame');
          }
          // A well-formed pair (an emoji) is kept as it is.
          peer.send({ type: 'append', id: 30, stream, newChain: true, events: [{ type: 'T', data: { face: '\ud83d\ude00' } }] });
          expect((await peer.expect('appended', { id: 30 })).seqs).toEqual([1]);
          peer.send({ type: 'streams', id: 31, prefix: stream });
          const list = await peer.expect('stream-list', { id: 31 });
          expect(list.streams.map((summary) => summary.stream)).toEqual([stream]);
          peer.close();
        });

        it(`${codec}: delivers __proto__, constructor and other keys as own properties, exactly as sent`, async () => {
          const peer = await RawPeer.open(() => running.connect(), { codec });
          const stream = `proto-${codec}`;
          const meta = JSON.parse('{"__proto__":"m","constructor":"n"}') as Record<string, string>;
          peer.send({ type: 'append', id: 1, stream, events: [{ id: `${stream}-1`, type: 'Odd', data: oddKeys(), meta }] });
          await peer.expect('appended', { id: 1 });
          peer.send({ type: 'read', id: 2, stream });
          const [event] = (await peer.expect('page', { id: 2 })).events;
          expect(ownShape(event?.data)).toEqual(ownShape(oddKeys()));
          expect(ownShape(event?.meta)).toEqual(ownShape(meta));
          expect(Object.getPrototypeOf(event?.data)).toBe(Object.prototype);
          // Live and replayed delivery take the stored bytes (msgpack) or a fresh encoding (JSON).
          peer.send({ type: 'subscribe', sub: 1, stream, mode: 'cold', credit: 10 });
          const delivered = await peer.expect('events', { sub: 1 });
          expect(ownShape(delivered.events[0]?.data)).toEqual(ownShape(oddKeys()));
          peer.close();
        });
      }
    });
  }
}

describe('data fidelity over HTTP', () => {
  let server: TauonServer;
  let http: Server;
  let base: string;
  beforeAll(async () => {
    server = new TauonServer({ store: new MemoryStore() });
    http = createServer(createHttpApi(server));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await server.store.close();
  });

  const post = (path: string, body: string) =>
    sendHttp(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers a path with bad percent-encoding 400 bad-frame', async () => {
    for (const path of ['/streams/%E0%A4%A/events', '/streams/%ED%A0%80/events', '/streams/%/surface']) {
      const answer = await sendHttp(`${base}${path}`);
      expect(answer.status, path).toBe(400);
      expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('bad-frame');
    }
  });

  it('refuses deep data, lone surrogates and bodies that are not UTF-8 with 400, and keeps __proto__', async () => {
    const deep = await post('/streams/h/events', `{"type":"T","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.body).toContain(`deeper than ${MAX_DATA_DEPTH} levels`);
    const lone = await post('/streams/h/events', '{"type":"T","data":"\\ud800"}');
    expect(lone.status).toBe(400);
    // {"type":"<0xff>"}: not UTF-8, so not stored as U+FFFD.
    const notUtf8 = await fetch(`${base}/streams/h/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    });
    expect(notUtf8.status).toBe(400);
    const kept = await post('/streams/h/events', JSON.stringify({ type: 'T', data: oddKeys() }));
    expect(kept.status).toBe(201);
    const read = await sendHttp(`${base}/streams/h/events`);
    const page = JSON.parse(read.body) as { events: { data: unknown }[] };
    expect(page.events).toHaveLength(1);
    expect(ownShape(page.events[0]?.data)).toEqual(ownShape(oddKeys()));
  });
});

describe('data JSON cannot carry, over HTTP (SPEC 4.9)', () => {
  it('answers a page holding a bin, a timestamp or a 64-bit integer 406 unrepresentable naming the event, and reads on after it', async () => {
    const server = new TauonServer({ store: new MemoryStore() });
    const http = createServer(createHttpApi(server));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      for (const [index, value] of [new Uint8Array([1, 2]), new Date(5), 2n ** 60n].entries()) {
        const stream = `odd-${index}`;
        const events = [{ id: `${stream}-1`, type: 'T', data: { value } }, { id: `${stream}-2`, type: 'T', data: 2 }];
        const [outcome] = await server.store.append([{ stream, events, expected: 'any', dedupe: false }]);
        expect(outcome?.ok).toBe(true);
        const answer = await sendHttp(`${base}/streams/${stream}/events`);
        expect(answer.status, stream).toBe(406);
        const error = (JSON.parse(answer.body) as { error: { code: string; details: unknown } }).error;
        expect(error).toMatchObject({ code: 'unrepresentable', details: { stream, seq: 1 } });
        const after = await sendHttp(`${base}/streams/${stream}/events?from=after:1`);
        expect((JSON.parse(after.body) as { events: { data: unknown }[] }).events.map((event) => event.data)).toEqual([2]);
      }
    } finally {
      await server.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.store.close();
    }
  });
});

describe('codecs', () => {
  it('decode a __proto__ key as an own property in both codecs', () => {
    for (const name of ['msgpack', 'json'] as const) {
      const codec = codecByName(name);
      const decoded = codec.decode(codec.encode({ data: oddKeys() })) as { data: unknown };
      expect(ownShape(decoded.data), name).toEqual(ownShape(oddKeys()));
    }
  });
});
