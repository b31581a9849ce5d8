import assert from 'node:assert/strict';
import type { ServerFrame, StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';
import { seqsOf, subscribe, untilCaughtUp, upTo } from './subscription-helpers.js';

/** The kit does not know the server's threshold: it appends until `fell-behind` comes, up to this many events. */
const MOST_EVENTS = 20_000;

/**
 * Appends events to `stream` (of `type`, or as `make` makes them) in appends the server takes,
 * until `fell-behind` comes for `sub`; returns it and how many events were appended.
 */
async function appendUntilBehind(
  kit: KitContext,
  writer: RawPeer,
  peer: RawPeer,
  stream: string,
  sub: number,
  make: (count: number) => object[] = (count) => kit.events(count, 'Flood'),
): Promise<{ fellBehind: Extract<ServerFrame, { type: 'fell-behind' }>; appended: number }> {
  const batch = Math.min(kit.limits.maxEventsPerAppend, 200);
  let appended = 0;
  while (appended < MOST_EVENTS) {
    await kit.appendOk(writer, stream, make(batch));
    appended += batch;
    const fellBehind = peer.pending().find((frame) => frame.type === 'fell-behind' && frame.sub === sub);
    if (fellBehind !== undefined) {
      await peer.next((frame) => frame === fellBehind);
      return { fellBehind: fellBehind as Extract<ServerFrame, { type: 'fell-behind' }>, appended };
    }
  }
  // The last appends' fan-out may still be on its way.
  const late = await peer.expect('fell-behind', { sub }, 2000).catch(() => undefined);
  if (late === undefined) throw new Error(`SPEC 6.4.3: no fell-behind for a subscription ${MOST_EVENTS} events behind`);
  return { fellBehind: late, appended };
}

/** Gives credit in steps the server takes and collects `count` events. */
async function drain(kit: KitContext, peer: RawPeer, sub: number, count: number): Promise<StoredEvent[]> {
  const step = Math.min(kit.limits.maxCredit, 1000);
  const got: StoredEvent[] = [];
  while (got.length < count) {
    peer.send({ type: 'credit', sub, n: Math.min(step, count - got.length) });
    got.push(...(await kit.collect(peer, sub, Math.min(step, count - got.length), 10_000)));
  }
  return got;
}

/** Cases of SPEC.md 6.5.6 (fell-behind) and the falling behind of 6.4.3. */
export const FELL_BEHIND_CASES: readonly ConformanceCase[] = [
  {
    section: '6.5.6',
    title: 'a live subscription without credit is told fell-behind, then with credit gets every event in order and caught-up again',
    timeoutMs: 60_000,
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const stream = kit.stream('behind');
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 1 });
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, 0);
      const { fellBehind, appended } = await appendUntilBehind(kit, writer, peer, stream, 1);
      const first = await peer.expect('events', { sub: 1 });
      assert.deepEqual(seqsOf(first.events), [1], 'credit 1: one event');
      assert.equal(fellBehind.at, 1, 'SPEC 6.5.6: at is the last position examined');
      const rest = await drain(kit, peer, 1, appended - 1);
      assert.deepEqual(seqsOf(rest), upTo(appended, 2), 'every event after it, in order, without gap or duplicate');
      peer.send({ type: 'credit', sub: 1, n: 10 });
      assert.equal((await peer.expect('caught-up', { sub: 1 }, 10_000)).at, appended, 'caught-up again at the head');
      await kit.appendOk(writer, stream, kit.events(1));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [appended + 1], 'live again');
    },
  },
  {
    section: '6.5.6',
    title: 'the backlog counts filtered-out events: a subscription waiting for credit falls behind on events its filter drops',
    timeoutMs: 60_000,
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const stream = kit.stream('behindfilter');
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 1, filter: { types: ['Wanted'] } });
      await peer.expect('caught-up', { sub: 1 });
      await kit.appendOk(writer, stream, [{ type: 'Wanted' }, { type: 'Wanted' }]);
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [1]);
      const { fellBehind, appended } = await appendUntilBehind(kit, writer, peer, stream, 1, (count) =>
        Array.from({ length: count }, () => ({ type: 'Dropped' })),
      );
      assert.equal(fellBehind.at, 1, 'seq 2 waits for credit: the last position examined is 1');
      peer.send({ type: 'credit', sub: 1, n: 10 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [2]);
      const { events, at } = await untilCaughtUp(peer, 1, 20_000);
      assert.deepEqual(events, [], 'no Dropped event is delivered');
      assert.equal(at, 2 + appended, 'caught-up at the head, past the dropped events');
    },
  },
  {
    section: '6.5.6',
    title: 'a hot subscription on a pattern falls behind too, and at is a store position',
    timeoutMs: 60_000,
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const prefix = kit.stream('behindpat');
      subscribe(peer, { sub: 1, stream: `${prefix}.*`, mode: 'hot', credit: 1 });
      await peer.expect('caught-up', { sub: 1 });
      const { fellBehind } = await appendUntilBehind(kit, writer, peer, `${prefix}.a`, 1);
      const first = await peer.expect('events', { sub: 1 });
      assert.equal(fellBehind.at, first.events[0]!.pos, 'at: the pos of the last event delivered (the last examined)');
    },
  },
];
