import assert from 'node:assert/strict';
import type { StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import { CONFORMANCE_AUTH_PATTERN } from '../kit/server-under-test.js';
import type { RawPeer } from '../raw-peer.js';
import { assertQuiet, expectSubError, seqsOf, storeHead, subscribe, untilCaughtUp, upTo } from './subscription-helpers.js';

/** A cold subscription's events, its `caught-up.at`, and its `complete`. */
async function coldRun(peer: RawPeer, sub: number, stream: string, from: unknown, extra: Record<string, unknown> = {}) {
  subscribe(peer, { sub, stream, mode: 'cold', credit: 1000, ...(from === undefined ? {} : { from }), ...extra });
  const { events, at } = await untilCaughtUp(peer, sub);
  await peer.expect('complete', { sub });
  return { events, at };
}

/** Appends one event at a time, a few ms apart, so that each is recorded in a millisecond of its own. */
async function appendApart(kit: KitContext, peer: RawPeer, stream: string, count: number): Promise<StoredEvent[]> {
  for (let i = 0; i < count; i++) {
    await kit.appendOk(peer, stream, kit.events(1, 'Timed', i + 1));
    await kit.sleep(4);
  }
  const page = await kit.ask(peer, { type: 'read', stream, limit: count });
  if (page.type !== 'page') throw new Error(`read failed: ${JSON.stringify(page)}`);
  return page.events;
}

/** Cases of SPEC.md 5.6 (selectors), 5.7 (start positions), 5.9 (filters), 6.4.3 (subscribe), 6.5.4, 6.5.5, 6.5.7. */
export const SUBSCRIPTIONS_CASES: readonly ConformanceCase[] = [
  {
    section: '5.7',
    title: 'a cold subscription from "start" delivers the whole stream, then caught-up at its head and complete',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 10);
      const { events, at } = await coldRun(peer, 1, stream, 'start');
      assert.deepEqual(seqsOf(events), upTo(10), 'seq order from 1, no gap');
      assert.equal(at, 10, 'caught-up.at is the last position examined');
      const defaulted = await coldRun(peer, 2, stream, undefined);
      assert.deepEqual(seqsOf(defaulted.events), upTo(10), 'a cold subscription without from starts at "start"');
    },
  },
  {
    section: '5.7',
    title: 'a forward "end" start delivers nothing of the past: cold says caught-up at the head and complete',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 4);
      const { events, at } = await coldRun(peer, 1, stream, 'end');
      assert.deepEqual(events, [], 'nothing before "end"');
      assert.equal(at, 4, 'at is the head');
    },
  },
  {
    section: '5.7',
    title: '{after: n} starts after n (exclusive) and {after: 0} is the same as "start"',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 10);
      assert.deepEqual(seqsOf((await coldRun(peer, 1, stream, { after: 7 })).events), [8, 9, 10]);
      assert.deepEqual(seqsOf((await coldRun(peer, 2, stream, { after: 0 })).events), upTo(10));
    },
  },
  {
    section: '5.7',
    title: '{at: n} starts at n (inclusive)',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 10);
      assert.deepEqual(seqsOf((await coldRun(peer, 1, stream, { at: 7 })).events), [7, 8, 9, 10]);
      assert.deepEqual(seqsOf((await coldRun(peer, 2, stream, { at: 1 })).events), upTo(10));
    },
  },
  {
    section: '5.7',
    title: '{event: id} starts right after that event',
    async run(kit) {
      const peer = await kit.open();
      const { stream, events } = await kit.seeded(peer, 10);
      assert.deepEqual(seqsOf((await coldRun(peer, 1, stream, { event: events[8]!.id })).events), [10]);
      assert.deepEqual(seqsOf((await coldRun(peer, 2, stream, { event: events[2]!.id })).events), upTo(10, 4));
    },
  },
  {
    section: '5.7',
    title: '{time: t} in the middle of a stream starts at the first event recorded at or after t',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('time');
      const stored = await appendApart(kit, peer, stream, 5);
      const recorded = stored.map((event) => event.recorded);
      assert.ok(recorded[2]! > recorded[1]!, `the events were appended milliseconds apart: ${JSON.stringify(recorded)}`);
      const exact = await coldRun(peer, 1, stream, { time: recorded[2] });
      assert.deepEqual(seqsOf(exact.events), [3, 4, 5], `{time: recorded of seq 3} starts at seq 3; recorded ${JSON.stringify(recorded)}`);
      const between = await coldRun(peer, 2, stream, { time: recorded[1]! + 1 });
      assert.deepEqual(seqsOf(between.events), [3, 4, 5], 'a time between two events starts at the later one');
    },
  },
  {
    section: '5.7',
    title: '{time: t} before every event starts at the first; after every event it is "end"',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      assert.deepEqual(seqsOf((await coldRun(peer, 1, stream, { time: 0 })).events), [1, 2, 3]);
      const late = await coldRun(peer, 2, stream, { time: Date.now() + 3_600_000 });
      assert.deepEqual(late.events, [], 'no event recorded after t: as "end"');
      assert.equal(late.at, 3, 'as "end": caught-up at the head');
    },
  },
  {
    section: '5.7',
    title: '{before: n} in a forward start is bad-frame and the subscription does not start',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      for (const [sub, mode] of [[1, 'cold'], [2, 'hot-cold']] as const) {
        subscribe(peer, { sub, stream, mode, credit: 10, from: { before: 3 } });
        await expectSubError(peer, sub, 'bad-frame', 'SPEC 5.7: before is not allowed in a forward start');
        await assertQuiet(kit, peer, sub, 'a refused subscription sends nothing more');
      }
    },
  },
  {
    section: '5.7',
    title: '{at: n} beyond the head delivers nothing of the past and says caught-up at n - 1',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      const cold = await coldRun(peer, 1, stream, { at: 9 });
      assert.deepEqual(cold.events, []);
      assert.equal(cold.at, 8, 'SPEC 6.5.5: {at: n} examined up to n - 1, never lower than the start');
    },
  },
  {
    section: '5.7',
    title: '{event: id} of another stream, or of no stream, is not-found and the subscription does not start',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 2);
      const other = await kit.seeded(peer, 2, 'other');
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10, from: { event: other.events[0]!.id } });
      await expectSubError(peer, 1, 'not-found', 'SPEC 5.7: the event is not in the selection');
      subscribe(peer, { sub: 2, stream, mode: 'cold', credit: 10, from: { event: kit.eventId('missing') } });
      await expectSubError(peer, 2, 'not-found', 'SPEC 5.7: no event has that id');
      await assertQuiet(kit, peer, 1, 'a subscription refused not-found sends nothing');
    },
  },
  {
    section: '5.7',
    title: '{event: id} of a stream the pattern does not match is not-found',
    async run(kit) {
      const peer = await kit.open();
      const prefix = kit.stream('pat');
      await kit.appendOk(peer, `${prefix}.a`, kit.events(1));
      const outside = kit.events(1);
      await kit.appendOk(peer, `${prefix}-b`, outside);
      subscribe(peer, { sub: 1, stream: `${prefix}.*`, mode: 'cold', credit: 10, from: { event: outside[0]!.id } });
      await expectSubError(peer, 1, 'not-found', 'SPEC 5.7: the pattern does not match the event\'s stream');
    },
  },
  {
    section: '6.4.3',
    title: 'a hot subscription with from other than "end" is bad-frame; with "end" it starts',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 2);
      let sub = 0;
      for (const from of ['start', { after: 1 }, { at: 1 }, { time: 0 }]) {
        sub += 1;
        subscribe(peer, { sub, stream, mode: 'hot', credit: 10, from });
        await expectSubError(peer, sub, 'bad-frame', `SPEC 5.7: hot from ${JSON.stringify(from)}`);
      }
      subscribe(peer, { sub: 9, stream, mode: 'hot', credit: 10, from: 'end' });
      assert.equal((await peer.expect('caught-up', { sub: 9 })).at, 2);
    },
  },
  {
    section: '5.6',
    title: 'a pattern matches by prefix, not as a glob: not the bare prefix, and "." and "?" are plain characters',
    async run(kit) {
      const peer = await kit.open();
      const base = kit.stream('glob');
      const streams = [`${base}.a`, `${base}.a.b`, base, `${base}Xa`, `${base}.?`];
      for (const stream of streams) await kit.appendOk(peer, stream, kit.events(1));
      const { events } = await coldRun(peer, 1, `${base}.*`, 'start');
      assert.deepEqual(events.map((event) => event.stream), [`${base}.a`, `${base}.a.b`, `${base}.?`], `${base}.* matches names starting with "${base}."`);
      const question = await coldRun(peer, 2, `${base}.?*`, 'start');
      assert.deepEqual(question.events.map((event) => event.stream), [`${base}.?`], '"?" matches only itself');
    },
  },
  {
    section: '5.6',
    title: 'a pattern and $all deliver in store-wide pos order, live too',
    async run(kit) {
      const peer = await kit.open();
      const prefix = kit.stream('pattern');
      await kit.appendOk(peer, `${prefix}.a`, kit.events(2));
      await kit.appendOk(peer, `${prefix}-not`, kit.events(1));
      await kit.appendOk(peer, `${prefix}.b`, kit.events(1));
      subscribe(peer, { sub: 1, stream: `${prefix}.*`, mode: 'hot-cold', credit: 100 });
      const { events: got } = await untilCaughtUp(peer, 1);
      assert.deepEqual(got.map((event) => event.stream), [`${prefix}.a`, `${prefix}.a`, `${prefix}.b`]);
      await kit.appendOk(peer, `${prefix}.c`, kit.events(1));
      assert.equal((await kit.collect(peer, 1, 1))[0]!.stream, `${prefix}.c`);
      subscribe(peer, { sub: 2, stream: '$all', from: { after: got[0]!.pos - 1 }, mode: 'cold', credit: 1000 });
      const { events: all } = await untilCaughtUp(peer, 2);
      const mine = all.filter((event) => event.stream.startsWith(prefix));
      assert.deepEqual(mine.map((event) => event.stream), [`${prefix}.a`, `${prefix}.a`, `${prefix}-not`, `${prefix}.b`, `${prefix}.c`]);
      const positions = all.map((event) => event.pos);
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'pos order');
    },
  },
  {
    section: '5.6',
    title: '$all and * select the same events from the same position',
    async run(kit) {
      const peer = await kit.open();
      const { events } = await kit.seeded(peer, 3);
      const from = { after: events[0]!.pos - 1 };
      subscribe(peer, { sub: 1, stream: '$all', from, mode: 'cold', credit: 50 });
      subscribe(peer, { sub: 2, stream: '*', from, mode: 'cold', credit: 50 });
      const all = await kit.collect(peer, 1, 3);
      const star = await kit.collect(peer, 2, 3);
      assert.deepEqual(all.slice(0, 3).map((event) => event.id), events.map((event) => event.id));
      assert.deepEqual(star.slice(0, 3).map((event) => event.id), events.map((event) => event.id));
    },
  },
  {
    section: '6.4.3',
    title: 'hot: caught-up at once at the stream head, then only what commits after',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: 100 });
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, 3, 'SPEC 6.5.5: hot on one stream: at is its head seq');
      await kit.appendOk(peer, stream, kit.events(2, 'Tested', 4));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [4, 5]);
    },
  },
  {
    section: '6.5.5',
    title: 'hot on a pattern: caught-up at the store head, not the last matching position',
    async run(kit) {
      const peer = await kit.open();
      const prefix = kit.stream('hotpat');
      await kit.appendOk(peer, `${prefix}.a`, kit.events(1));
      const unrelated = await kit.appendOk(peer, kit.stream('unrelated'), kit.events(1));
      subscribe(peer, { sub: 1, stream: `${prefix}.*`, mode: 'hot', credit: 10 });
      const at = (await peer.expect('caught-up', { sub: 1 })).at;
      const head = await storeHead(kit, peer);
      assert.ok(at >= unrelated.positions[0]! && at <= head, `at ${at} is the store head at subscribe time (>= ${unrelated.positions[0]}, <= ${head})`);
    },
  },
  {
    section: '6.4.3',
    title: 'hot-cold: history from the start position, caught-up, then live without gap or duplicate',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 5);
      subscribe(peer, { sub: 1, stream, from: { after: 2 }, mode: 'hot-cold', credit: 100 });
      const { events, at } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [3, 4, 5]);
      assert.equal(at, 5);
      await kit.appendOk(peer, stream, kit.events(3, 'Tested', 6));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 3)), [6, 7, 8]);
    },
  },
  {
    section: '6.4.3',
    title: 'hot-cold has no gap and no duplicate across the switch while another connection appends',
    timeoutMs: 30_000,
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 300);
      const total = 300 + 40 * 10;
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: Math.min(kit.limits.maxCredit, total) });
      const appending = (async () => {
        for (let i = 0; i < 40; i++) await kit.appendOk(writer, stream, kit.events(10, 'Live', 301 + i * 10));
      })();
      const got: StoredEvent[] = [];
      while (got.length < total) {
        const frame = await peer.next((candidate) => (candidate.type === 'events' || candidate.type === 'error') && candidate.sub === 1, 10_000);
        if (frame.type === 'error') throw new Error(`the subscription failed: ${JSON.stringify(frame)}`);
        if (frame.type === 'events') got.push(...frame.events);
      }
      await appending;
      assert.deepEqual(seqsOf(got), upTo(total), 'every seq once, in order, across the switch');
    },
  },
  {
    section: '6.4.3',
    title: 'cold ends at the head as it was at subscribe time, while appends go on',
    timeoutMs: 20_000,
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 200);
      let stop = false;
      const appending = (async () => {
        for (let i = 0; i < 200 && !stop; i++) await kit.appendOk(writer, stream, kit.events(5, 'Later'));
      })();
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: Math.min(kit.limits.maxCredit, 5000) });
      const { events, at } = await untilCaughtUp(peer, 1, 10_000);
      await peer.expect('complete', { sub: 1 });
      stop = true;
      await appending;
      assert.ok(at >= 200, `the head at subscribe time was at least 200; at ${at}`);
      assert.deepEqual(seqsOf(events), upTo(at), 'every event up to at, and none after it');
      await assertQuiet(kit, peer, 1, 'SPEC 6.5.7: nothing comes after complete');
    },
  },
  {
    section: '6.5.5',
    title: 'caught-up.at after {after: n} beyond the head is n, and live delivery resumes after n',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 100, from: { after: 5 } });
      const { events, at } = await untilCaughtUp(peer, 1);
      assert.deepEqual(events, []);
      assert.equal(at, 5, 'at is never lower than the start');
      await kit.appendOk(peer, stream, kit.events(3, 'Tested', 4));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [6], 'seqs 4 and 5 lie at or before the start: skipped');
      const cold = await coldRun(peer, 2, stream, { after: 20 });
      assert.equal(cold.at, 20, 'cold too');
    },
  },
  {
    section: '6.5.5',
    title: 'caught-up.at of a pattern is the store head when it is past the last matching event',
    async run(kit) {
      const peer = await kit.open();
      const prefix = kit.stream('atpat');
      const mine = await kit.appendOk(peer, `${prefix}.a`, kit.events(2));
      const unrelated = await kit.appendOk(peer, kit.stream('unrelated'), kit.events(2));
      const from = { after: mine.positions[0]! - 1 };
      for (const [sub, mode] of [[1, 'cold'], [2, 'hot-cold']] as const) {
        subscribe(peer, { sub, stream: `${prefix}.*`, mode, credit: 100, from });
        const { events, at } = await untilCaughtUp(peer, sub);
        const head = await storeHead(kit, peer);
        assert.deepEqual(events.map((event) => event.pos), mine.positions);
        assert.ok(at >= unrelated.positions[1]! && at <= head, `${mode}: at ${at} is the store head (>= ${unrelated.positions[1]}, <= ${head}), not ${mine.positions[1]}`);
      }
    },
  },
  {
    section: '6.5.5',
    title: 'caught-up.at of a pattern started beyond the store head is the start',
    async run(kit) {
      const peer = await kit.open();
      const beyond = (await storeHead(kit, peer)) + 1_000_000;
      subscribe(peer, { sub: 1, stream: `${kit.stream('far')}.*`, mode: 'hot-cold', credit: 10, from: { after: beyond } });
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, beyond);
      subscribe(peer, { sub: 2, stream: '$all', mode: 'cold', credit: 10, from: { after: beyond } });
      assert.equal((await peer.expect('caught-up', { sub: 2 })).at, beyond);
      await peer.expect('complete', { sub: 2 });
    },
  },
  {
    section: '6.5.5',
    title: 'caught-up.at counts filtered-out events: it is the last position examined',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('atfilter');
      await kit.appendOk(peer, stream, [{ type: 'A' }, { type: 'B' }, { type: 'B' }]);
      const { events, at } = await coldRun(peer, 1, stream, 'start', { filter: { types: ['A'] } });
      assert.deepEqual(seqsOf(events), [1]);
      assert.equal(at, 3, 'seqs 2 and 3 were examined');
    },
  },
  {
    section: '5.9',
    title: 'a types filter passes exactly the listed types',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('types');
      await kit.appendOk(peer, stream, [{ type: 'A' }, { type: 'B' }, { type: 'a' }, { type: 'C' }, { type: 'B' }]);
      const { events } = await coldRun(peer, 1, stream, 'start', { filter: { types: ['B', 'C'] } });
      assert.deepEqual(seqsOf(events), [2, 4, 5]);
    },
  },
  {
    section: '5.9',
    title: 'a keys filter passes exactly the listed keys, and an event without a key never',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('keys');
      await kit.appendOk(peer, stream, [{ type: 'A', key: 'x' }, { type: 'A' }, { type: 'A', key: 'X' }, { type: 'B', key: 'y' }, { type: 'A', key: 'x' }]);
      const { events } = await coldRun(peer, 1, stream, 'start', { filter: { keys: ['x', 'y'] } });
      assert.deepEqual(seqsOf(events), [1, 4, 5]);
    },
  },
  {
    section: '5.9',
    title: 'types and keys together: an event passes both lists; filtered events use no credit',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('filter');
      await kit.appendOk(peer, stream, [
        { type: 'A', key: 'x' },
        { type: 'B', key: 'x' },
        { type: 'A', key: 'y' },
        { type: 'A' },
        { type: 'A', key: 'x' },
      ]);
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 2, filter: { types: ['A'], keys: ['x'] } });
      const { events, at } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [1, 5], 'credit 2 is enough for the two that pass');
      assert.equal(at, 5);
      await peer.expect('complete', { sub: 1 });
    },
  },
  {
    section: '5.9',
    title: 'events are counted after filtering: credit n brings n events that pass, and no more',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('counted');
      await kit.appendOk(peer, stream, Array.from({ length: 30 }, (_, i) => ({ type: i % 3 === 0 ? 'Hit' : 'Miss' })));
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 4, filter: { types: ['Hit'] } });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 4)), [1, 4, 7, 10]);
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.3: no more events than the credit', 'events');
      peer.send({ type: 'credit', sub: 1, n: 100 });
      const { events } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [13, 16, 19, 22, 25, 28]);
    },
  },
  {
    section: '5.9',
    title: 'a filter applies to live events too',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('livefilter');
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10, filter: { keys: ['k'] } });
      await peer.expect('caught-up', { sub: 1 });
      await kit.appendOk(peer, stream, [{ type: 'A' }, { type: 'A', key: 'j' }, { type: 'A', key: 'k' }]);
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [3]);
    },
  },
  {
    section: '6.4.3',
    title: 'credit 0 starts paused: no events until credit comes',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 5);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 0 });
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.3: credit 0 starts it paused', 'events');
      peer.send({ type: 'credit', sub: 1, n: 2 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [1, 2]);
    },
  },
  {
    section: '6.4.3',
    title: 'a paused hot-cold subscription with nothing to deliver says caught-up at once, without credit',
    async run(kit) {
      const peer = await kit.open();
      subscribe(peer, { sub: 1, stream: kit.stream('empty'), mode: 'hot-cold', credit: 0 });
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, 0, 'an empty stream: at 0');
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 2, stream, mode: 'hot-cold', credit: 0, from: 'end' });
      assert.equal((await peer.expect('caught-up', { sub: 2 })).at, 3, 'from "end": at the head');
      subscribe(peer, { sub: 3, stream, mode: 'hot-cold', credit: 0, from: { after: 3 } });
      assert.equal((await peer.expect('caught-up', { sub: 3 })).at, 3);
      subscribe(peer, { sub: 4, stream, mode: 'hot-cold', credit: 0, filter: { types: ['Nothing'] } });
      assert.equal((await peer.expect('caught-up', { sub: 4 })).at, 3, 'filtered-out events are examined without credit');
    },
  },
  {
    section: '6.4.3',
    title: 'a paused cold subscription with nothing to deliver says caught-up and complete',
    async run(kit) {
      const peer = await kit.open();
      subscribe(peer, { sub: 1, stream: kit.stream('empty'), mode: 'cold', credit: 0 });
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, 0);
      await peer.expect('complete', { sub: 1 });
      const { stream } = await kit.seeded(peer, 2);
      subscribe(peer, { sub: 2, stream, mode: 'cold', credit: 0, from: { after: 2 } });
      assert.equal((await peer.expect('caught-up', { sub: 2 })).at, 2);
      await peer.expect('complete', { sub: 2 });
    },
  },
  {
    section: '6.5.5',
    title: 'history that uses up the credit exactly still ends with caught-up (and complete for cold)',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 5);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 5 });
      const hot = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(hot.events), upTo(5));
      assert.equal(hot.at, 5);
      const prefix = kit.stream('exact');
      await kit.appendOk(peer, `${prefix}.a`, kit.events(2));
      await kit.appendOk(peer, kit.stream('after'), kit.events(1));
      subscribe(peer, { sub: 2, stream: `${prefix}.*`, mode: 'cold', credit: 2 });
      const cold = await untilCaughtUp(peer, 2);
      assert.equal(cold.events.length, 2);
      await peer.expect('complete', { sub: 2 });
    },
  },
  {
    section: '6.4.3',
    title: 'a subscribe reusing an open sub is protocol, and that subscription goes on',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 100 });
      await untilCaughtUp(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 100 });
      await expectSubError(peer, 1, 'protocol', 'SPEC 6.4.3: a duplicate sub');
      await kit.appendOk(peer, stream, kit.events(1, 'Tested', 2));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [2], 'the open subscription goes on, once');
      await assertQuiet(kit, peer, 1, 'the refused subscribe started nothing', 'events');
    },
  },
  {
    section: '6.4.3',
    title: 'the sub of an ended subscription (cold, complete) may be used again',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 2);
      await coldRun(peer, 1, stream, 'start');
      const again = await coldRun(peer, 1, stream, { after: 1 });
      assert.deepEqual(seqsOf(again.events), [2]);
    },
  },
  {
    section: '6.4.3',
    title: 'checks in order: bad-frame before duplicate sub, maxCredit and not-found',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10 });
      await untilCaughtUp(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: 10, from: 'start' });
      await expectSubError(peer, 1, 'bad-frame', 'a hot start from "start" on an open sub: bad-frame comes first');
      subscribe(peer, { sub: 2, stream, mode: 'hot', credit: kit.limits.maxCredit + 1, from: { event: kit.eventId('none') } });
      await expectSubError(peer, 2, 'bad-frame', 'hot with an event start and too much credit: bad-frame comes first');
      subscribe(peer, { sub: 3, stream, mode: 'cold', credit: kit.limits.maxCredit + 1, from: { before: 1 } });
      await expectSubError(peer, 3, 'bad-frame', 'before and too much credit: bad-frame comes first');
      await kit.appendOk(peer, stream, kit.events(1, 'Tested', 2));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [2], 'SPEC 6.5.11: the open subscription goes on');
    },
  },
  {
    section: '6.4.3',
    title: 'checks in order: duplicate sub before maxCredit, maxCredit before not-found',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10 });
      await untilCaughtUp(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: kit.limits.maxCredit + 1, from: { event: kit.eventId('none') } });
      await expectSubError(peer, 1, 'protocol', 'a duplicate sub with too much credit: protocol comes first');
      subscribe(peer, { sub: 2, stream, mode: 'cold', credit: kit.limits.maxCredit + 1, from: { event: kit.eventId('none') } });
      await expectSubError(peer, 2, 'limit', 'too much credit and an unknown event: limit comes first');
    },
  },
  {
    section: '6.4.3',
    title: 'checks in order: bad-frame before forbidden, forbidden before duplicate sub, maxCredit and not-found',
    needs: ['auth'],
    async run(kit) {
      const admin = await kit.open();
      const allowed = kit.stream('s', CONFORMANCE_AUTH_PATTERN.slice(0, -1));
      const denied = kit.stream('denied', 'tauon-conf-other-');
      await kit.appendOk(admin, allowed, kit.events(1));
      const reader = await kit.open({ token: kit.server.auth!.reader });
      subscribe(reader, { sub: 1, stream: allowed, mode: 'hot-cold', credit: 10 });
      await untilCaughtUp(reader, 1);
      subscribe(reader, { sub: 2, stream: denied, mode: 'hot', credit: 10, from: 'start' });
      await expectSubError(reader, 2, 'bad-frame', 'a hot start from "start" on a stream it may not read: bad-frame comes first');
      subscribe(reader, { sub: 1, stream: denied, mode: 'hot-cold', credit: 10 });
      await expectSubError(reader, 1, 'forbidden', 'an open sub reused on a stream it may not read: forbidden comes first');
      subscribe(reader, { sub: 3, stream: denied, mode: 'cold', credit: kit.limits.maxCredit + 1, from: { event: kit.eventId('none') } });
      await expectSubError(reader, 3, 'forbidden', 'too much credit and an unknown event on a stream it may not read: forbidden comes first');
      await kit.appendOk(admin, allowed, kit.events(1, 'Tested', 2));
      assert.deepEqual(seqsOf(await kit.collect(reader, 1, 1)), [2], 'SPEC 6.5.11: the open subscription goes on');
    },
  },
  {
    section: '6.4.3',
    title: 'credit above maxCredit at subscribe is limit and the subscription does not start',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: kit.limits.maxCredit + 1 });
      await expectSubError(peer, 1, 'limit', 'SPEC 8: credit above maxCredit at subscribe');
      await assertQuiet(kit, peer, 1, 'SPEC 8: not started');
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: kit.limits.maxCredit });
      assert.deepEqual(seqsOf((await untilCaughtUp(peer, 1)).events), [1, 2, 3], 'credit of exactly maxCredit is taken, and the sub is free');
    },
  },
  {
    section: '6.4.3',
    title: 'maxSubscriptions: one more is limit and not started; duplicate sub comes first; a freed place is taken',
    timeoutMs: 60_000,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('many');
      const max = kit.limits.maxSubscriptions;
      for (let sub = 1; sub <= max; sub++) subscribe(peer, { sub, stream, mode: 'hot', credit: 0 });
      for (let sub = 1; sub <= max; sub++) await peer.expect('caught-up', { sub }, 20_000);
      subscribe(peer, { sub: max + 1, stream, mode: 'hot', credit: 0 });
      await expectSubError(peer, max + 1, 'limit', `SPEC 8: subscription ${max + 1} of at most ${max}`);
      subscribe(peer, { sub: max + 2, stream, mode: 'cold', credit: 0, from: { event: kit.eventId('none') } });
      await expectSubError(peer, max + 2, 'limit', 'maxSubscriptions before not-found');
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: 0 });
      await expectSubError(peer, 1, 'protocol', 'a duplicate sub before maxSubscriptions');
      peer.send({ type: 'unsubscribe', sub: 2 });
      subscribe(peer, { sub: max + 1, stream, mode: 'hot', credit: 1 });
      await peer.expect('caught-up', { sub: max + 1 });
      await kit.appendOk(peer, stream, kit.events(1));
      assert.deepEqual(seqsOf(await kit.collect(peer, max + 1, 1)), [1]);
    },
  },
  {
    section: '6.4.3',
    title: 'events of a long stream come in seq order with no gap or duplicate as credit is given in steps',
    timeoutMs: 20_000,
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1200);
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 100 });
      const got: StoredEvent[] = [];
      while (got.length < 1200) {
        got.push(...(await kit.collect(peer, 1, 100)));
        if (got.length < 1200) peer.send({ type: 'credit', sub: 1, n: 100 });
      }
      assert.deepEqual(seqsOf(got), upTo(1200));
      assert.equal((await peer.expect('caught-up', { sub: 1 })).at, 1200);
      await peer.expect('complete', { sub: 1 });
    },
  },
  {
    section: '6.4.3',
    title: 'subscriptions work the same over JSON text frames',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10, from: { at: 2 } });
      const { events, at } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [2, 3]);
      assert.equal(at, 3);
      await kit.appendOk(peer, stream, kit.events(1, 'Tested', 4));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [4]);
      assert.deepEqual(peer.invalid, [], 'every frame matches the schemas');
    },
  },
  {
    section: '6.5.4',
    title: 'an events frame holds more than one event only within maxFrameBytes, in history and live',
    timeoutMs: 30_000,
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const max = kit.limits.maxFrameBytes;
        const stream = kit.stream('big');
        const third = 'x'.repeat(Math.floor(max / 3) - 300);
        for (let i = 0; i < 6; i++) await kit.appendOk(peer, stream, [{ id: kit.eventId('big'), type: 'Big', data: third }]);
        subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 100 });
        const { events } = await untilCaughtUp(peer, 1, 20_000);
        assert.deepEqual(seqsOf(events), upTo(6));
        // Live: three commits taken at once when credit comes, spliced from the recent commits
        // or read back, together above the bound.
        subscribe(peer, { sub: 2, stream, mode: 'hot', credit: 0 });
        await peer.expect('caught-up', { sub: 2 });
        for (let i = 0; i < 3; i++) await kit.appendOk(peer, stream, [{ id: kit.eventId('live'), type: 'Big', data: third }]);
        assert.deepEqual(seqsOf(await kit.collect(peer, 1, 3, 20_000)), [7, 8, 9]);
        peer.send({ type: 'credit', sub: 2, n: 3 });
        assert.deepEqual(seqsOf(await kit.collect(peer, 2, 3, 20_000)), [7, 8, 9]);
        peer.received.forEach((frame, i) => {
          if (frame.type !== 'events' || frame.events.length < 2) return;
          assert.ok(peer.receivedBytes[i]! <= max, `${codec}: an events frame of ${frame.events.length} events took ${peer.receivedBytes[i]} bytes, above maxFrameBytes ${max}`);
        });
      }
    },
  },
];
