import { describe, expect, it } from 'vitest';
import type { ServerFrame, StoredEvent } from '../../protocol/frames.js';
import { RawPeer } from './raw-peer.js';
import { CONFORMANCE_AUTH_PATTERN, type AuthUnderTest, type ServerUnderTest } from './kit/server-under-test.js';

let streamCounter = 0;
/** A stream name no other test uses, so the suite can run against a server that has data. */
function freshStream(label: string, prefix = 'conf-'): string {
  streamCounter += 1;
  return `${prefix}${label}-${Date.now().toString(36)}-${streamCounter}`;
}

function events(count: number, type = 'Tested', from = 1): { id: string; type: string; data: { n: number } }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${type}-${from + i}-${Math.random()}`, type, data: { n: from + i } }));
}

/** Collects `events` frames of one subscription until `count` events arrived. */
async function collect(peer: RawPeer, sub: number, count: number, timeoutMs = 5000): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  while (got.length < count) {
    const frame = await peer.expect('events', { sub }, timeoutMs);
    got.push(...frame.events);
  }
  return got;
}

/**
 * The cases of the wire suite written before the kit's cases (kit/, cases/): each moves to the
 * case file of its section, and this file goes when it is empty.
 */
export function describeLegacyCases(name: string, server: ServerUnderTest): void {
  const open = (codec: 'msgpack' | 'json' = 'msgpack') =>
    RawPeer.open(() => server.connect(), { codec, ...(server.token === undefined ? {} : { token: server.token }) });

  async function append(peer: RawPeer, stream: string, list: object[], extra: object = {}) {
    const id = peer.id();
    peer.send({ type: 'append', id, stream, events: list, ...extra });
    return peer.next((frame) => (frame.type === 'appended' || frame.type === 'error') && frame.id === id);
  }

  describe(`wire conformance (legacy): ${name}`, () => {
    describe('handshake', () => {
      it('answers hello with welcome naming version 1, a heartbeat and limits', async () => {
        const peer = new RawPeer(await server.connect());
        peer.send({ type: 'hello', versions: [1], ...(server.token === undefined ? {} : { token: server.token }) });
        const welcome = await peer.expect('welcome');
        expect(welcome.version).toBe(1);
        expect(welcome.heartbeat).toBeGreaterThan(0);
        expect(welcome.limits.maxFrameBytes).toBeGreaterThan(0);
        peer.close();
      });

      it('rejects a hello with no common version, listing the versions it speaks, and closes', async () => {
        const peer = new RawPeer(await server.connect());
        peer.send({ type: 'hello', versions: [99] });
        const reject = await peer.expect('reject');
        expect(reject.code).toBe('unsupported-version');
        expect(reject.versions).toContain(1);
        await peer.waitClosed();
      });

      it('closes a connection whose first frame is not hello, with a protocol error', async () => {
        const peer = new RawPeer(await server.connect());
        peer.send({ type: 'info', id: 1 });
        const error = await peer.expect('error');
        expect(error.code).toBe('protocol');
        await peer.waitClosed();
      });

      it('speaks JSON to a client whose first frame is JSON', async () => {
        const peer = await open('json');
        peer.send({ type: 'ping', nonce: 7 });
        expect((await peer.expect('pong')).nonce).toBe(7);
        peer.close();
      });
    });

    describe('bad input', () => {
      it('answers a second hello with a protocol error', async () => {
        const peer = await open();
        peer.send({ type: 'hello', versions: [1] });
        expect((await peer.expect('error')).code).toBe('protocol');
        peer.close();
      });
    });

    describe('append', () => {
      it('acks with dense seqs, positions in order and one tx per append', async () => {
        const peer = await open();
        const stream = freshStream('ack');
        const first = await append(peer, stream, events(3));
        const second = await append(peer, stream, events(2, 'Tested', 4));
        if (first.type !== 'appended' || second.type !== 'appended') throw new Error('append failed');
        expect(first.seqs).toEqual([1, 2, 3]);
        expect(second.seqs).toEqual([4, 5]);
        expect(first.tx).toBe(1);
        expect(second.tx).toBe(2);
        const positions = [...first.positions, ...second.positions];
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(5);
        peer.close();
      });

      it('checks expected versions and names the actual version when they fail', async () => {
        const peer = await open();
        const stream = freshStream('expected');
        expect((await append(peer, stream, events(1), { expected: 'exists' })).type).toBe('error');
        expect((await append(peer, stream, events(1), { expected: 'none', newChain: true })).type).toBe('appended');
        const wrong = await append(peer, stream, events(1), { expected: 5, newChain: true });
        if (wrong.type !== 'error') throw new Error('expected an error');
        expect(wrong.code).toBe('wrong-expected-version');
        expect(wrong.details).toMatchObject({ stream, actual: 1 });
        expect((await append(peer, stream, events(1), { expected: 1, newChain: true })).type).toBe('appended');
        peer.close();
      });

      it('writes nothing for a re-sent event id and returns the original positions', async () => {
        const peer = await open();
        const stream = freshStream('idem');
        const list = events(2);
        const original = await append(peer, stream, list);
        const again = await append(peer, stream, list, { expected: 'none' });
        if (original.type !== 'appended' || again.type !== 'appended') throw new Error('append failed');
        expect(again.seqs).toEqual(original.seqs);
        expect(again.positions).toEqual(original.positions);
        expect(again.tx).toBe(original.tx);
        expect(again.dups).toEqual([0, 1]);
        peer.close();
      });

      it('skips a content duplicate of the newest event of its key only when asked', async () => {
        const peer = await open();
        const stream = freshStream('dedupe');
        const same = { type: 'Price', key: 'k1', data: { v: 1 } };
        const first = await append(peer, stream, [{ ...same, id: 'a' }]);
        const second = await append(peer, stream, [{ ...same, id: 'b' }], { dedupe: true });
        const third = await append(peer, stream, [{ ...same, id: 'c' }]);
        if (first.type !== 'appended' || second.type !== 'appended' || third.type !== 'appended') throw new Error('failed');
        expect(second.dups).toEqual([0]);
        expect(second.seqs).toEqual([1]);
        expect(third.seqs).toEqual([2]);
        peer.close();
      });

      it('fails appends pipelined behind a failed one with chain-broken, until newChain', async () => {
        const peer = await open();
        const stream = freshStream('chain');
        const other = freshStream('chain-other');
        const [a, b, c, d] = [peer.id(), peer.id(), peer.id(), peer.id()];
        peer.send({ type: 'append', id: a, stream, events: events(1), expected: 7 });
        peer.send({ type: 'append', id: b, stream, events: events(1) });
        peer.send({ type: 'append', id: c, stream: other, events: events(1) });
        peer.send({ type: 'append', id: d, stream, events: events(1) });
        expect((await peer.expect('error', { id: a })).code).toBe('wrong-expected-version');
        expect((await peer.expect('error', { id: b })).code).toBe('chain-broken');
        expect((await peer.expect('appended', { id: c })).seqs).toEqual([1]);
        expect((await peer.expect('error', { id: d })).code).toBe('chain-broken');
        const fresh = await append(peer, stream, events(1), { newChain: true });
        expect(fresh.type === 'appended' && fresh.seqs[0]).toBe(1);
        peer.close();
      });

      it('breaks the chain of a stream whose append was a bad frame', async () => {
        const peer = await open();
        const stream = freshStream('bad-chain');
        const [a, b, c] = [peer.id(), peer.id(), peer.id()];
        peer.send({ type: 'append', id: a, stream, events: [{ data: 'no type' }] });
        peer.send({ type: 'append', id: b, stream, events: events(1) });
        expect((await peer.expect('error', { id: a })).code).toBe('bad-frame');
        expect((await peer.expect('error', { id: b })).code).toBe('chain-broken');
        peer.send({ type: 'append', id: c, stream, events: events(1), newChain: true });
        expect((await peer.expect('appended', { id: c })).seqs).toEqual([1]);
        peer.close();
      });

      it('answers pipelined writes in the order received, each failure breaking only the appends after it', async () => {
        const peer = await open();
        const stream = freshStream('order');
        const other = freshStream('order-other');
        const sent: { id: number; answer: string }[] = [];
        const send = (frame: object, answer: string): void => {
          const id = peer.id();
          peer.send({ type: 'append', id, ...frame });
          sent.push({ id, answer });
        };
        // Sent without waiting: a run of good appends, a bad frame, appends it breaks, a new chain.
        for (let n = 1; n <= 20; n++) send({ stream, events: events(1) }, `appended ${n}`);
        send({ stream, events: [{ data: 'no type' }] }, 'bad-frame');
        send({ stream, events: events(1) }, 'chain-broken');
        send({ stream: other, events: events(1) }, 'appended 1');
        send({ stream, events: events(1), expected: 3, newChain: true }, 'wrong-expected-version');
        send({ stream, events: events(1) }, 'chain-broken');
        for (let n = 21; n <= 40; n++) send({ stream, events: events(1), ...(n === 21 ? { newChain: true } : {}) }, `appended ${n}`);
        const answers: { id: number; answer: string }[] = [];
        for (const _ of sent) {
          const frame = await peer.next((candidate) => candidate.type === 'appended' || candidate.type === 'error');
          if (frame.type === 'appended') answers.push({ id: frame.id, answer: `appended ${frame.seqs.join()}` });
          else if (frame.type === 'error') answers.push({ id: frame.id ?? -1, answer: frame.code });
        }
        expect(answers).toEqual(sent);
        peer.close();
      });

      it('refuses event types reserved for the system', async () => {
        const peer = await open();
        const answer = await append(peer, freshStream('reserved'), [{ type: '$invalidated' }]);
        expect(answer.type === 'error' && answer.code).toBe('forbidden');
        peer.close();
      });

      it('invalidates a transaction by appending a system event that names it', async () => {
        const peer = await open();
        const stream = freshStream('invalidate');
        await append(peer, stream, events(2));
        const id = peer.id();
        peer.send({ type: 'invalidate', id, stream, tx: 1, reason: 'wrong price' });
        const ack = await peer.expect('appended', { id });
        expect(ack.seqs).toEqual([3]);
        const missing = peer.id();
        peer.send({ type: 'invalidate', id: missing, stream, tx: 9 });
        expect((await peer.expect('error', { id: missing })).code).toBe('not-found');
        const read = peer.id();
        peer.send({ type: 'read', id: read, stream, from: { at: 3 } });
        const page = await peer.expect('page', { id: read });
        expect(page.events[0]).toMatchObject({ type: '$invalidated', data: { tx: 1, reason: 'wrong price' } });
        peer.close();
      });
    });

    describe('subscribe', () => {
      async function seeded(count: number) {
        const peer = await open();
        const stream = freshStream('sub');
        const list = events(count);
        const ack = await append(peer, stream, list);
        if (ack.type !== 'appended') throw new Error('seed failed');
        return { peer, stream, list };
      }

      it('cold: delivers history from each start position, then caught-up and complete', async () => {
        const { peer, stream, list } = await seeded(10);
        const cases: [unknown, number[]][] = [
          ['start', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
          ['end', []],
          [{ after: 7 }, [8, 9, 10]],
          [{ at: 7 }, [7, 8, 9, 10]],
          [{ event: list[8]!.id }, [10]],
          [{ time: 0 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
          [{ time: Date.now() + 60_000 }, []],
        ];
        let sub = 100;
        for (const [from, seqs] of cases) {
          sub += 1;
          peer.send({ type: 'subscribe', sub, stream, from, mode: 'cold', credit: 100 });
          const got = seqs.length === 0 ? [] : await collect(peer, sub, seqs.length);
          expect(got.map((event) => event.seq), JSON.stringify(from)).toEqual(seqs);
          expect((await peer.expect('caught-up', { sub })).at).toBe(seqs.length === 0 ? (from === 'end' || typeof from === 'object' && from !== null && 'time' in from ? 10 : 0) : 10);
          await peer.expect('complete', { sub });
        }
        peer.close();
      });

      it('answers a start event that does not exist with not-found', async () => {
        const { peer, stream } = await seeded(1);
        peer.send({ type: 'subscribe', sub: 1, stream, from: { event: 'no-such-id' }, mode: 'cold', credit: 10 });
        expect((await peer.expect('error', { sub: 1 })).code).toBe('not-found');
        peer.close();
      });

      it('hot: says caught-up at once, then delivers only what commits after', async () => {
        const { peer, stream } = await seeded(3);
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot', credit: 100 });
        expect((await peer.expect('caught-up', { sub: 1 })).at).toBe(3);
        await append(peer, stream, events(2, 'Tested', 4));
        expect((await collect(peer, 1, 2)).map((event) => event.seq)).toEqual([4, 5]);
        peer.close();
      });

      it('hot-cold: history, caught-up, then live, without gap or duplicate', async () => {
        const { peer, stream } = await seeded(5);
        peer.send({ type: 'subscribe', sub: 1, stream, from: { after: 2 }, mode: 'hot-cold', credit: 100 });
        expect((await collect(peer, 1, 3)).map((event) => event.seq)).toEqual([3, 4, 5]);
        expect((await peer.expect('caught-up', { sub: 1 })).at).toBe(5);
        await append(peer, stream, events(3, 'Tested', 6));
        expect((await collect(peer, 1, 3)).map((event) => event.seq)).toEqual([6, 7, 8]);
        peer.close();
      });

      it('never sends more events than the credit granted', async () => {
        const { peer, stream } = await seeded(50);
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 5 });
        expect((await collect(peer, 1, 5)).length).toBe(5);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(peer.pending().filter((frame) => frame.type === 'events')).toEqual([]);
        peer.send({ type: 'credit', sub: 1, n: 12 });
        const more = await collect(peer, 1, 12);
        expect(more.map((event) => event.seq)).toEqual(Array.from({ length: 12 }, (_, i) => 6 + i));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(peer.pending().filter((frame) => frame.type === 'events')).toEqual([]);
        peer.close();
      });

      it('answers credit of zero or less with a protocol error', async () => {
        const { peer, stream } = await seeded(1);
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 0 });
        peer.send({ type: 'credit', sub: 1, n: 0 });
        expect((await peer.expect('error', { sub: 1 })).code).toBe('protocol');
        peer.send({ type: 'credit', sub: 1, n: -3 });
        expect((await peer.expect('error', { sub: 1 })).code).toBe('protocol');
        peer.close();
      });

      it('stops delivery on unsubscribe, and a second unsubscribe is harmless', async () => {
        const { peer, stream } = await seeded(1);
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 100 });
        await collect(peer, 1, 1);
        peer.send({ type: 'unsubscribe', sub: 1 });
        peer.send({ type: 'unsubscribe', sub: 1 });
        await append(peer, stream, events(2, 'Tested', 2));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(peer.pending().filter((frame) => frame.type === 'events')).toEqual([]);
        peer.close();
      });

      it('filters by type and key exactly, and filtered events use no credit', async () => {
        const peer = await open();
        const stream = freshStream('filter');
        await append(peer, stream, [
          { type: 'A', key: 'x' },
          { type: 'B', key: 'x' },
          { type: 'A', key: 'y' },
          { type: 'A', key: 'x' },
        ]);
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'cold', credit: 2, filter: { types: ['A'], keys: ['x'] } });
        expect((await collect(peer, 1, 2)).map((event) => event.seq)).toEqual([1, 4]);
        await peer.expect('complete', { sub: 1 });
        peer.close();
      });

      it('follows a prefix pattern and $all in store-wide order', async () => {
        const peer = await open();
        const prefix = freshStream('pattern');
        await append(peer, `${prefix}.a`, events(2));
        await append(peer, `${prefix}-not`, events(1));
        await append(peer, `${prefix}.b`, events(1));
        peer.send({ type: 'subscribe', sub: 1, stream: `${prefix}.*`, mode: 'hot-cold', credit: 100 });
        const got = await collect(peer, 1, 3);
        expect(got.map((event) => event.stream)).toEqual([`${prefix}.a`, `${prefix}.a`, `${prefix}.b`]);
        await peer.expect('caught-up', { sub: 1 });
        await append(peer, `${prefix}.c`, events(1));
        expect((await collect(peer, 1, 1))[0]!.stream).toBe(`${prefix}.c`);
        peer.send({ type: 'subscribe', sub: 2, stream: '$all', from: { after: got[0]!.pos - 1 }, mode: 'cold', credit: 100 });
        const all = await collect(peer, 2, 5);
        const mine = all.filter((event) => event.stream.startsWith(prefix));
        expect(mine.map((event) => event.stream)).toEqual([`${prefix}.a`, `${prefix}.a`, `${prefix}-not`, `${prefix}.b`, `${prefix}.c`]);
        expect(all.map((event) => event.pos)).toEqual([...all.map((event) => event.pos)].sort((a, b) => a - b));
        peer.close();
      });
    });

    if (server.auth !== undefined) describeAuthorization(server, server.auth);

    it('sends only frames that match the protocol schemas', async () => {
      const peer = await open();
      peer.send({ type: 'info', id: 1 });
      await peer.expect('server-info', { id: 1 });
      expect(peer.invalid).toEqual([]);
      peer.close();
    });

  });
}

/**
 * The authentication and authorization cases (SPEC 6.4.1, 7, 10): a server that authenticates
 * refuses a missing or unknown token at `hello`; every frame its permissions do not allow is
 * answered `forbidden` naming the permission and the selector, and the session goes on;
 * `streams` lists only what may be read; a session whose token expires is closed with 4001.
 */
function describeAuthorization(server: ServerUnderTest, auth: AuthUnderTest): void {
  const inside = () => freshStream('s', CONFORMANCE_AUTH_PATTERN.slice(0, -1));
  const outside = () => freshStream('outside', 'tauon-conf-other-');
  const open = (token: string) => RawPeer.open(() => server.connect(), { token });
  const full = () => open(server.token ?? '');

  async function ask(peer: RawPeer, frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = peer.id();
    peer.send({ ...frame, id });
    return peer.next((answer) => 'id' in answer && answer.id === id);
  }

  function expectForbidden(answer: ServerFrame, permission: 'read' | 'write', selector: string): void {
    expect(answer).toMatchObject({ type: 'error', code: 'forbidden', details: { permission, selector } });
    expect(answer.type === 'error' && answer.message).toContain(selector);
  }

  async function seeded(): Promise<{ allowed: string; denied: string }> {
    const admin = await full();
    const allowed = inside();
    const denied = outside();
    for (const stream of [allowed, denied]) {
      const answer = await ask(admin, { type: 'append', stream, events: [{ type: 'A', key: 'k', data: 1 }, { type: 'B', key: 'k', data: 2 }] });
      expect(answer.type, `seeding ${stream}`).toBe('appended');
    }
    admin.close();
    return { allowed, denied };
  }

  describe('authentication and authorization', () => {
    it('rejects a hello without a token, or with a token it does not know, with unauthorized, and closes 4001', async () => {
      for (const token of [undefined, 'tauon-conformance-unknown-token-0123456789']) {
        const peer = new RawPeer(await server.connect());
        peer.send({ type: 'hello', versions: [1], ...(token === undefined ? {} : { token }) });
        expect((await peer.expect('reject')).code).toBe('unauthorized');
        expect((await peer.waitClosed()).code).toBe(4001);
      }
    });

    it('answers append and invalidate without write permission with forbidden naming it, and stays open', async () => {
      const { allowed, denied } = await seeded();
      const reader = await open(auth.reader);
      expectForbidden(await ask(reader, { type: 'append', stream: allowed, events: [{ type: 'X' }] }), 'write', allowed);
      expectForbidden(await ask(reader, { type: 'invalidate', stream: allowed, tx: 1 }), 'write', allowed);
      const writer = await open(auth.writer);
      expectForbidden(await ask(writer, { type: 'append', stream: denied, events: [{ type: 'X' }] }), 'write', denied);
      expectForbidden(await ask(writer, { type: 'invalidate', stream: denied, tx: 1 }), 'write', denied);
      for (const peer of [reader, writer]) {
        peer.send({ type: 'ping', nonce: 5 });
        expect((await peer.expect('pong')).nonce).toBe(5);
        peer.close();
      }
    });

    it('answers subscribe, read and surface without read permission on all they select with forbidden naming it', async () => {
      const { allowed, denied } = await seeded();
      const reader = await open(auth.reader);
      const cases: [RawPeer, string][] = [
        [reader, denied],
        [reader, '$all'],
        [reader, 'tauon-conf-*'],
        [await open(auth.writer), allowed],
      ];
      let sub = 0;
      for (const [peer, selector] of cases) {
        sub += 1;
        peer.send({ type: 'subscribe', sub, stream: selector, mode: 'cold', credit: 10 });
        expectForbidden(await peer.expect('error', { sub }), 'read', selector);
        expectForbidden(await ask(peer, { type: 'read', stream: selector }), 'read', selector);
        if (!selector.endsWith('*') && selector !== '$all') expectForbidden(await ask(peer, { type: 'surface', stream: selector }), 'read', selector);
        peer.send({ type: 'ping', nonce: sub });
        expect((await peer.expect('pong')).nonce).toBe(sub);
      }
      reader.close();
      cases[3]![0].close();
    });

    it('answers what the permissions cover: a reader subscribes, reads and surfaces, a writer appends and invalidates', async () => {
      const { allowed } = await seeded();
      const reader = await open(auth.reader);
      reader.send({ type: 'subscribe', sub: 1, stream: CONFORMANCE_AUTH_PATTERN, from: 'end', mode: 'hot-cold', credit: 10 });
      await reader.expect('caught-up', { sub: 1 });
      const page = await ask(reader, { type: 'read', stream: allowed });
      expect(page.type === 'page' && page.events.map((event) => event.type)).toEqual(['A', 'B']);
      const surface = await ask(reader, { type: 'surface', stream: allowed });
      expect(surface.type === 'page' && surface.events.map((event) => event.data)).toEqual([2]);
      const writer = await open(auth.writer);
      const appended = await ask(writer, { type: 'append', stream: allowed, events: [{ type: 'C' }] });
      expect(appended.type === 'appended' && appended.seqs).toEqual([3]);
      expect((await ask(writer, { type: 'invalidate', stream: allowed, tx: 1 })).type).toBe('appended');
      const live = await reader.expect('events', { sub: 1 });
      expect(live.events[0]).toMatchObject({ stream: allowed, type: 'C' });
      for (const peer of [reader, writer]) {
        expect((await ask(peer, { type: 'info' })).type).toBe('server-info');
        peer.close();
      }
    });

    it('lists only the streams a session may read', async () => {
      const { allowed, denied } = await seeded();
      const reader = await open(auth.reader);
      const list = await ask(reader, { type: 'streams', prefix: 'tauon-conf-', limit: 1000 });
      if (list.type !== 'stream-list') throw new Error(`expected a stream list, got ${JSON.stringify(list)}`);
      const names = list.streams.map((summary) => summary.stream);
      expect(names).toContain(allowed);
      expect(names).not.toContain(denied);
      expect(names.filter((name) => !name.startsWith(CONFORMANCE_AUTH_PATTERN.slice(0, -1)))).toEqual([]);
      expect(await ask(reader, { type: 'streams', prefix: 'tauon-conf-other-' })).toMatchObject({ type: 'stream-list', streams: [], next: null });
      const writer = await open(auth.writer);
      expect(await ask(writer, { type: 'streams', prefix: 'tauon-conf-' })).toMatchObject({ type: 'stream-list', streams: [], next: null });
      reader.close();
      writer.close();
    });

    it.skipIf(auth.expiring === undefined)('closes a session whose token expires: an unauthorized error, then 4001', async () => {
      const peer = await open(await auth.expiring!());
      const error = await peer.expect('error', {}, 5000);
      expect(error.code).toBe('unauthorized');
      expect((await peer.waitClosed(2000)).code).toBe(4001);
    });
  });
}
