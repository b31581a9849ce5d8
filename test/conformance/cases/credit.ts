import assert from 'node:assert/strict';
import type { ConformanceCase } from '../kit/case.js';
import { assertQuiet, expectSubError, seqsOf, subscribe, untilCaughtUp, upTo } from './subscription-helpers.js';

/** Cases of SPEC.md 6.4.4 (credit), 6.4.5 (unsubscribe) and 6.5.11 (which errors end a subscription). */
export const CREDIT_CASES: readonly ConformanceCase[] = [
  {
    section: '6.4.4',
    title: 'the server never sends more events than the credit granted',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 50);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 5 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 5)), upTo(5));
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.3: credit 5 is 5 events', 'events');
      peer.send({ type: 'credit', sub: 1, n: 12 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 12)), upTo(17, 6));
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.3: credit 12 more is 12 events', 'events');
    },
  },
  {
    section: '6.4.4',
    title: 'live events use credit too: a live subscription without credit waits, and gets them when credit comes',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('live');
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: 2 });
      await peer.expect('caught-up', { sub: 1 });
      await kit.appendOk(peer, stream, kit.events(5));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [1, 2]);
      await assertQuiet(kit, peer, 1, 'the credit is spent', 'events');
      peer.send({ type: 'credit', sub: 1, n: 10 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 3)), [3, 4, 5]);
    },
  },
  {
    section: '6.4.4',
    title: 'credit of 0 or less is protocol with its sub; the subscription goes on with its credit unchanged',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 0 });
      peer.send({ type: 'credit', sub: 1, n: 0 });
      await expectSubError(peer, 1, 'protocol', 'SPEC 6.4.4: n of 0');
      peer.send({ type: 'credit', sub: 1, n: -3 });
      await expectSubError(peer, 1, 'protocol', 'SPEC 6.4.4: n below 0');
      await assertQuiet(kit, peer, 1, 'the credit is unchanged: still 0', 'events');
      peer.send({ type: 'credit', sub: 1, n: 2 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [1, 2], 'the subscription goes on: 2 events for credit 2, not 2 - 3');
    },
  },
  {
    section: '6.4.4',
    title: 'credit of 0 or less for a sub that is not open is protocol with that sub',
    async run(kit) {
      const peer = await kit.open();
      peer.send({ type: 'credit', sub: 77, n: 0 });
      await expectSubError(peer, 77, 'protocol', 'SPEC 6.4.4: n of 0, whether or not the sub is open');
      peer.send({ type: 'credit', sub: 78, n: -1 });
      await expectSubError(peer, 78, 'protocol', 'SPEC 6.4.4: n below 0, whether or not the sub is open');
    },
  },
  {
    section: '6.4.4',
    title: 'positive credit for a sub that is not open (never, or ended) is ignored without answer',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      peer.send({ type: 'credit', sub: 42, n: 5 });
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 10 });
      await untilCaughtUp(peer, 1);
      await peer.expect('complete', { sub: 1 });
      peer.send({ type: 'credit', sub: 1, n: 5 });
      await assertQuiet(kit, peer, 42, 'SPEC 6.4.4: no answer for a sub never opened');
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.4: no answer for an ended sub');
    },
  },
  {
    section: '6.4.4',
    title: 'credit beyond maxCredit is capped, with a limit error, and delivery goes on',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 10);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 2 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [1, 2]);
      peer.send({ type: 'credit', sub: 1, n: kit.limits.maxCredit + 5 });
      await expectSubError(peer, 1, 'limit', 'SPEC 6.4.4: credit above maxCredit');
      const { events } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), upTo(10, 3), 'delivery goes on with the capped credit');
      await kit.appendOk(peer, stream, kit.events(1, 'Tested', 11));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [11], 'the subscription is live');
    },
  },
  {
    section: '6.4.4',
    title: 'credit that would take a subscription past maxCredit is capped there, with a limit error',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('cap');
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: kit.limits.maxCredit });
      await peer.expect('caught-up', { sub: 1 });
      peer.send({ type: 'credit', sub: 1, n: 1 });
      await expectSubError(peer, 1, 'limit', 'SPEC 6.4.4: the credit would exceed maxCredit');
      await kit.appendOk(peer, stream, kit.events(2));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [1, 2], 'the subscription goes on');
    },
  },
  {
    section: '6.4.4',
    title: 'credit sent right after subscribe, before the subscription started, counts',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 6);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 1 });
      peer.send({ type: 'credit', sub: 1, n: 3 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 4)), [1, 2, 3, 4]);
      await assertQuiet(kit, peer, 1, 'credit 1 + 3 is 4 events', 'events');
    },
  },
  {
    section: '6.4.4',
    title: 'credit right after a subscribe of maxCredit, before it started, is capped with a limit error too',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('capearly');
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: kit.limits.maxCredit });
      peer.send({ type: 'credit', sub: 1, n: 1 });
      await expectSubError(peer, 1, 'limit', 'SPEC 6.4.4: the credit would exceed maxCredit, started or not');
      await peer.expect('caught-up', { sub: 1 });
      await kit.appendOk(peer, stream, kit.events(1));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [1], 'the subscription goes on');
    },
  },
  {
    section: '6.5.11',
    title: 'a malformed credit is bad-frame with its sub, and the subscription keeps delivering',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 4);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 1 });
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 1)), [1]);
      for (const n of ['x', 1.5, null]) {
        peer.send({ type: 'credit', sub: 1, n });
        await expectSubError(peer, 1, 'bad-frame', `SPEC 7: credit with n ${JSON.stringify(n)}`);
      }
      peer.send({ type: 'credit', sub: 1, n: 10 });
      const { events } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [2, 3, 4], 'SPEC 6.5.11: an error answering credit does not end the subscription');
    },
  },
  {
    section: '6.5.11',
    title: 'a malformed subscribe reusing an open sub is bad-frame, and the open subscription keeps delivering',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10 });
      await untilCaughtUp(peer, 1);
      peer.send({ type: 'subscribe', sub: 1, stream, mode: 'sideways', credit: 10 });
      await expectSubError(peer, 1, 'bad-frame', 'SPEC 7: a mode that does not exist');
      peer.send({ type: 'subscribe', sub: 1, stream: 'a*b', mode: 'cold', credit: 10 });
      await expectSubError(peer, 1, 'bad-frame', 'SPEC 5.6: not a selector');
      await kit.appendOk(peer, stream, kit.events(2, 'Tested', 2));
      assert.deepEqual(seqsOf(await kit.collect(peer, 1, 2)), [2, 3], 'SPEC 6.5.11: the open subscription goes on');
    },
  },
  {
    section: '6.5.11',
    title: 'an error answering a subscribe that never started leaves its sub free and credit for it unanswered',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 2);
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 10, from: { event: kit.eventId('none') } });
      await expectSubError(peer, 1, 'not-found', 'SPEC 5.7');
      peer.send({ type: 'credit', sub: 1, n: 5 });
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.4: the sub is not open: credit ignored');
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 10 });
      assert.deepEqual(seqsOf((await untilCaughtUp(peer, 1)).events), [1, 2]);
    },
  },
  {
    section: '6.4.5',
    title: 'unsubscribe stops delivery, and a second unsubscribe is harmless and unanswered',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 1);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 100 });
      await untilCaughtUp(peer, 1);
      peer.send({ type: 'unsubscribe', sub: 1 });
      peer.send({ type: 'unsubscribe', sub: 1 });
      await kit.appendOk(peer, stream, kit.events(2, 'Tested', 2));
      await assertQuiet(kit, peer, 1, 'SPEC 6.4.5: nothing after unsubscribe, and no answer to it');
    },
  },
  {
    section: '6.4.5',
    title: 'unsubscribe of a sub never opened is ignored; an unsubscribed sub may be used again',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      peer.send({ type: 'unsubscribe', sub: 9 });
      await assertQuiet(kit, peer, 9, 'SPEC 6.4.5: no answer');
      subscribe(peer, { sub: 1, stream, mode: 'hot', credit: 10 });
      await peer.expect('caught-up', { sub: 1 });
      peer.send({ type: 'unsubscribe', sub: 1 });
      subscribe(peer, { sub: 1, stream, mode: 'cold', credit: 10, from: { after: 1 } });
      const { events } = await untilCaughtUp(peer, 1);
      assert.deepEqual(seqsOf(events), [2, 3], 'the new subscription of sub 1');
      await peer.expect('complete', { sub: 1 });
    },
  },
  {
    section: '6.4.5',
    title: 'unsubscribe right after subscribe, before it started, cancels it',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 3);
      subscribe(peer, { sub: 1, stream, mode: 'hot-cold', credit: 10 });
      peer.send({ type: 'unsubscribe', sub: 1 });
      await kit.sleep(100);
      await kit.appendOk(peer, stream, kit.events(1, 'Tested', 4));
      await kit.sleep(100);
      await kit.roundTrip(peer);
      const events = peer.pending().filter((frame) => frame.type === 'events' && frame.sub === 1);
      const seqs = events.flatMap((frame) => (frame.type === 'events' ? seqsOf(frame.events) : []));
      assert.ok(!seqs.includes(4), `SPEC 6.4.5: nothing is delivered after the unsubscribe was taken; got ${JSON.stringify(seqs)}`);
    },
  },
];
