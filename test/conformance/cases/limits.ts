import assert from 'node:assert/strict';
import { codecByName, type CodecName } from '../../../protocol/codec.js';
import type { PageFrame, StreamListFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/**
 * Cases of SPEC.md section 8 (limits), each read from what the server announced in `welcome`
 * (`kit.limits`): maxFrameBytes, maxEventsPerAppend, maxReadLimit and the default page size.
 * maxSubscriptions and maxCredit are in subscriptions.ts and credit.ts.
 */

/** The default size of a `read` or `streams` page (SPEC 8). */
const DEFAULT_PAGE = 100;

/**
 * A frame of exactly `size` bytes in `codec`: `frame` with an unknown field `pad` (ignored by
 * the server, 4.6) of the right length. The encoded length of a string field grows by one per
 * character except where its header grows, so a few tries find it.
 */
function frameOfSize(codec: CodecName, frame: Record<string, unknown>, size: number): Uint8Array {
  const encode = codecByName(codec).encode;
  let pad = Math.max(0, size - encode({ ...frame, pad: '' }).length);
  for (let tries = 0; tries < 8; tries++) {
    const bytes = encode({ ...frame, pad: 'x'.repeat(pad) });
    if (bytes.length === size) return bytes;
    pad = Math.max(0, pad + size - bytes.length);
  }
  // Across a header boundary (a str 16 becoming a str 32) no pad fits: one less byte of frame.
  throw new Error(`no frame of exactly ${size} bytes in ${codec}`);
}

/** Appends `count` streams' worth of seeding: one event in each of `count` fresh streams under `prefix`, pipelined. */
async function streamsUnder(kit: KitContext, peer: RawPeer, prefix: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 200) {
    const ids: number[] = [];
    for (let n = from; n < Math.min(count, from + 200); n++) {
      const id = peer.id();
      peer.send({ type: 'append', id, stream: `${prefix}${String(n).padStart(6, '0')}`, events: [{ id: kit.eventId(), type: 'T' }] });
      ids.push(id);
    }
    for (const id of ids) {
      const answer = await peer.next((frame) => 'id' in frame && frame.id === id, 20_000);
      assert.equal(answer.type, 'appended', `seeding streams: ${JSON.stringify(answer)}`);
    }
  }
}

export const LIMITS_CASES: readonly ConformanceCase[] = [
  {
    section: '8',
    title: 'a frame of exactly maxFrameBytes is taken, over both codecs',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const max = kit.limits.maxFrameBytes;
        peer.sendBytes(frameOfSize(codec, { type: 'ping', nonce: 5 }, max));
        const pong = await peer.expect('pong', {}, 10_000);
        assert.equal(pong.nonce, 5, `${codec}: a frame of ${max} bytes (the limit) is taken`);
        assert.equal(peer.closed, undefined, `${codec}: and the connection stays open`);
      }
    },
  },
  {
    section: '8',
    title: 'a frame of maxFrameBytes + 1 is too-large, then close 1009, and other connections go on',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const other = await kit.open({ codec });
        const peer = await kit.open({ codec });
        const max = kit.limits.maxFrameBytes;
        peer.sendBytes(frameOfSize(codec, { type: 'ping', nonce: 6 }, max + 1));
        const closed = await peer.waitClosed(10_000);
        const error = peer.received.find((frame) => frame.type === 'error');
        assert.equal(error?.code, 'too-large', `${codec}: the error that says why comes before the close: ${JSON.stringify(peer.received)}`);
        assert.equal(closed.code, 1009, `${codec}: close 1009 after too-large, got ${closed.code}`);
        assert.equal(peer.received.some((frame) => frame.type === 'pong'), false, `${codec}: the frame is not taken`);
        await kit.roundTrip(other);
      }
    },
  },
  {
    section: '8',
    title: 'a too-large append stores nothing',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('big');
      const max = kit.limits.maxFrameBytes;
      peer.send({ type: 'append', id: peer.id(), stream, events: [{ id: kit.eventId(), type: 'Big', data: 'x'.repeat(max) }] });
      assert.equal((await peer.waitClosed(10_000)).code, 1009, 'close 1009');
      const reader = await kit.open();
      const page = (await kit.ask(reader, { type: 'read', stream })) as PageFrame;
      assert.deepEqual(page.events, [], 'nothing of the refused frame is stored');
    },
  },
  {
    section: '8',
    title: 'an append of maxEventsPerAppend events is taken; one more is limit naming the request, and nothing is stored',
    timeoutMs: 30_000,
    async run(kit) {
      const max = kit.limits.maxEventsPerAppend;
      const peer = await kit.open();
      const stream = kit.stream('many');
      // The smallest events: ids left to the server. The case needs max + 1 of them in one frame.
      const size = codecByName('msgpack').encode({ type: 'append', id: 1, stream, events: Array.from({ length: max + 1 }, () => ({ type: 'T' })) }).length;
      assert.ok(size <= kit.limits.maxFrameBytes, `the server announces maxEventsPerAppend ${max}, but ${max + 1} events (${size} bytes) do not fit in maxFrameBytes ${kit.limits.maxFrameBytes}: announce limits a client can reach`);
      const over = await kit.append(peer, stream, Array.from({ length: max + 1 }, () => ({ type: 'T' })));
      assert.equal(over.type === 'error' && over.code, 'limit', `${max + 1} events: limit, got ${JSON.stringify(over).slice(0, 300)}`);
      const empty = (await kit.ask(peer, { type: 'read', stream, limit: 1 })) as PageFrame;
      assert.deepEqual(empty.events, [], 'nothing of the refused append is stored');
      const taken = await kit.append(peer, stream, Array.from({ length: max }, () => ({ type: 'T' })), { newChain: true });
      assert.equal(taken.type === 'appended' && taken.seqs.length, max, `${max} events are taken: ${JSON.stringify(taken).slice(0, 300)}`);
    },
  },
  {
    section: '8',
    title: 'a read with a limit above maxReadLimit returns at most maxReadLimit events, with a next',
    timeoutMs: 30_000,
    async run(kit) {
      const max = kit.limits.maxReadLimit;
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, max + 2);
      const page = (await kit.ask(peer, { type: 'read', stream, limit: max + 1 })) as PageFrame;
      assert.equal(page.events.length, max, `limit ${max + 1} is lowered to maxReadLimit ${max}, got ${page.events.length}`);
      assert.deepEqual(page.next, { after: max }, 'and the next page starts after it');
      const back = (await kit.ask(peer, { type: 'read', stream, direction: 'backward', limit: 9_007_199_254_740_991 })) as PageFrame;
      assert.equal(back.events.length, max, 'the largest posint is lowered too, backward');
    },
  },
  {
    section: '8',
    title: 'streams with a limit above maxReadLimit lists at most maxReadLimit streams, with a next',
    timeoutMs: 60_000,
    async run(kit) {
      const max = kit.limits.maxReadLimit;
      const peer = await kit.open();
      const prefix = `${kit.stream('many-streams')}.`;
      await streamsUnder(kit, peer, prefix, max + 1);
      const answer = (await kit.ask(peer, { type: 'streams', prefix, limit: max + 1 })) as StreamListFrame;
      assert.equal(answer.streams.length, max, `limit ${max + 1} is lowered to ${max}, got ${answer.streams.length}`);
      assert.equal(answer.next, answer.streams[max - 1]?.stream, 'one stream follows: next names the last of the page');
    },
  },
  {
    section: '8',
    title: 'a read without limit returns at most 100 events, and streams without limit at most 100 streams',
    timeoutMs: 60_000,
    async run(kit) {
      const peer = await kit.open();
      const expected = Math.min(DEFAULT_PAGE, kit.limits.maxReadLimit);
      const { stream } = await kit.seeded(peer, DEFAULT_PAGE + 1);
      const page = (await kit.ask(peer, { type: 'read', stream })) as PageFrame;
      assert.equal(page.events.length, expected, `a read without limit returns ${expected}, got ${page.events.length}`);
      assert.deepEqual(page.next, { after: expected }, 'with a next');
      const prefix = `${kit.stream('default-streams')}.`;
      await streamsUnder(kit, peer, prefix, DEFAULT_PAGE + 1);
      const answer = (await kit.ask(peer, { type: 'streams', prefix })) as StreamListFrame;
      assert.equal(answer.streams.length, expected, `streams without limit lists ${expected}, got ${answer.streams.length}`);
      assert.notEqual(answer.next, null, 'with a next');
    },
  },
  {
    section: '8',
    title: 'a first frame above maxFrameBytes: too-large in msgpack, close 1009, before any welcome',
    async run(kit) {
      const peer = await kit.connect('msgpack');
      peer.sendBytes(frameOfSize('msgpack', kit.hello(), kit.limits.maxFrameBytes + 1));
      const closed = await peer.waitClosed(10_000);
      assert.equal(closed.code, 1009, `close 1009, got ${closed.code}`);
      assert.deepEqual(peer.received.map((frame) => frame.type === 'error' && frame.code), ['too-large'], `only the too-large error: ${JSON.stringify(peer.received)}`);
    },
  },
  {
    section: '8',
    title: 'one connection more than the server serves is answered reject overloaded, then close 4001, and a connection is served again once others closed',
    needs: ['max-connections'],
    timeoutMs: 30_000,
    async run(kit) {
      const bound = kit.server.maxConnections!;
      const served: RawPeer[] = [];
      let refused: { peer: RawPeer; frame: unknown } | undefined;
      // Connections of the cases before may still be closing and count a moment: a few more tries.
      for (let n = 0; n < bound + 4 && refused === undefined; n++) {
        const peer = await kit.connect();
        peer.send(kit.hello());
        const answer = await peer.next((frame) => frame.type === 'welcome' || frame.type === 'reject');
        if (answer.type === 'reject') refused = { peer, frame: answer };
        else served.push(peer);
      }
      assert.ok(refused !== undefined, `${bound + 4} connections were all welcomed; at most ${bound} may be`);
      assert.ok(served.length <= bound, `${served.length} connections were served at once; at most ${bound} may be`);
      assert.equal((refused.frame as { code?: unknown }).code, 'overloaded', `the one too many: ${JSON.stringify(refused.frame)}`);
      assert.equal((await refused.peer.waitClosed()).code, 4001, 'a reject is followed by close 4001');
      for (const peer of served) peer.close();
      // Closing takes a moment to reach the server: bounded retries.
      const deadline = Date.now() + 5000;
      for (;;) {
        const peer = await kit.connect();
        peer.send(kit.hello());
        const answer = await peer.next((frame) => frame.type === 'welcome' || frame.type === 'reject');
        if (answer.type === 'welcome') return;
        assert.ok(Date.now() < deadline, `still refused 5 s after the other connections closed: ${JSON.stringify(answer)}`);
        await kit.sleep(100);
      }
    },
  },
];
