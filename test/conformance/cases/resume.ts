import assert from 'node:assert/strict';
import type { StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/*
 * Cases of SPEC.md 12 (resume after reconnect), with raw connections: what a client does after
 * a drop (a new connection, subscriptions again from where the application was, unacknowledged
 * appends sent again) gives no gap, no duplicate and no second write.
 */

/** Every event a connection received for `sub`, in order, up to now (taken before it is closed). */
function deliveredTo(peer: RawPeer, sub: number): StoredEvent[] {
  return peer.received.flatMap((frame) => (frame.type === 'events' && frame.sub === sub ? frame.events : []));
}

/**
 * Appends `count` events of one each, a few ms apart, while the case drops and reconnects. The
 * promise is awaited later; a failure meanwhile (the case failed first) is not left unhandled.
 */
function appendWhile(kit: KitContext, peer: RawPeer, streams: readonly string[], count: number): Promise<string[]> {
  const appending = appendEach(kit, peer, streams, count);
  appending.catch(() => undefined);
  return appending;
}

async function appendEach(kit: KitContext, peer: RawPeer, streams: readonly string[], count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const event = kit.events(1, 'Live', n + 1)[0]!;
    await kit.appendOk(peer, streams[n % streams.length]!, [event]);
    ids.push(event.id);
    await kit.sleep(5);
  }
  return ids;
}

function seqsOf(events: readonly StoredEvent[]): number[] {
  return events.map((event) => event.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export const RESUME_CASES: readonly ConformanceCase[] = [
  {
    section: '12',
    title: 'a hot-cold subscription resumed on a new connection from {after: last delivered} has no gap and no duplicate while another peer appends',
    async run(kit) {
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 10, 'resume');
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 1000 });
      await kit.collect(first, 1, 5);
      const appending = appendWhile(kit, writer, [stream], 10);
      await kit.sleep(20);
      const delivered = deliveredTo(first, 1);
      first.close();
      assert.deepEqual(seqsOf(delivered), range(1, delivered.length), `the first connection delivers seqs 1, 2, ... in order: ${JSON.stringify(seqsOf(delivered))}`);
      const last = delivered.at(-1)!.seq;
      const second = await kit.open();
      second.send({ type: 'subscribe', sub: 1, stream, from: { after: last }, mode: 'hot-cold', credit: 1000 });
      await appending;
      const rest = await kit.collect(second, 1, 20 - last);
      assert.deepEqual(seqsOf(rest), range(last + 1, 20), `SPEC 12: resumed from {after: ${last}}, the events after it, each once, in order`);
      await second.expect('caught-up', { sub: 1 });
    },
  },
  {
    section: '12',
    title: 'a pattern subscription resumed from {after: pos of the last delivered} has no gap and no duplicate across its streams',
    async run(kit) {
      const writer = await kit.open();
      const prefix = kit.stream('resume-pattern');
      const streams = [`${prefix}.a`, `${prefix}.b`, `${prefix}.c`];
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 4, stream: `${prefix}.*`, mode: 'hot-cold', credit: 1000 });
      await first.expect('caught-up', { sub: 4 });
      const appending = appendWhile(kit, writer, streams, 15);
      await kit.collect(first, 4, 3);
      const delivered = deliveredTo(first, 4);
      first.close();
      const last = delivered.at(-1)!.pos;
      const second = await kit.open();
      second.send({ type: 'subscribe', sub: 4, stream: `${prefix}.*`, from: { after: last }, mode: 'hot-cold', credit: 1000 });
      const ids = await appending;
      const rest = await kit.collect(second, 4, ids.length - delivered.length);
      const all = [...delivered, ...rest];
      assert.deepEqual(
        all.map((event) => event.id),
        ids,
        `SPEC 12: delivered before the drop and after {after: ${last}}, every event once, in commit order: ${JSON.stringify(all.map((event) => [event.stream, event.pos]))}`,
      );
      const positions = all.map((event) => event.pos);
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'SPEC 5.4: a pattern delivers in pos order');
    },
  },
  {
    section: '12',
    title: 'a filtered subscription resumed from the at of its caught-up gets only what matched after it',
    async run(kit) {
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 5, 'resume-filter');
      const filter = { types: ['Wanted'] };
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 2, stream, mode: 'hot-cold', credit: 100, filter });
      const caughtUp = await first.expect('caught-up', { sub: 2 });
      assert.equal(caughtUp.at, 5, `SPEC 6.5.5: at counts the filtered-out events it examined, got ${JSON.stringify(caughtUp)}`);
      first.close();
      await kit.appendOk(writer, stream, [
        { id: kit.eventId(), type: 'Other' },
        { id: kit.eventId(), type: 'Wanted', data: 1 },
        { id: kit.eventId(), type: 'Other' },
        { id: kit.eventId(), type: 'Wanted', data: 2 },
      ]);
      const second = await kit.open();
      second.send({ type: 'subscribe', sub: 2, stream, from: { after: caughtUp.at }, mode: 'hot-cold', credit: 100, filter });
      const rest = await kit.collect(second, 2, 2);
      assert.deepEqual(seqsOf(rest), [7, 9], `SPEC 12: resumed from {after: ${caughtUp.at}} with the same filter: ${JSON.stringify(rest)}`);
      assert.equal((await second.expect('caught-up', { sub: 2 })).at, 9, 'caught-up at the head, seq 9');
    },
  },
  {
    section: '12',
    title: 'a hot subscription that was caught up resumes as hot-cold from {after: p} and gets what was committed while away',
    async run(kit) {
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 3, 'resume-hot');
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 1, stream, mode: 'hot', credit: 100 });
      assert.equal((await first.expect('caught-up', { sub: 1 })).at, 3, 'a hot subscription is caught up at the head');
      await kit.appendOk(writer, stream, kit.events(2, 'Live', 4));
      const live = await kit.collect(first, 1, 2);
      first.close();
      await kit.appendOk(writer, stream, kit.events(3, 'Away', 6));
      const second = await kit.open();
      second.send({ type: 'subscribe', sub: 1, stream, from: { after: live.at(-1)!.seq }, mode: 'hot-cold', credit: 100 });
      assert.deepEqual(seqsOf(await kit.collect(second, 1, 3)), [6, 7, 8], 'SPEC 12: the events committed while away, none before');
      assert.equal((await second.expect('caught-up', { sub: 1 })).at, 8, 'then caught-up at the head');
      await kit.appendOk(writer, stream, kit.events(1, 'Live', 9));
      assert.deepEqual(seqsOf(await kit.collect(second, 1, 1)), [9], 'then live again');
    },
  },
  {
    section: '12',
    title: 'a cold subscription resumed as cold from {after: p} ends at the head of the resubscription',
    async run(kit) {
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 10, 'resume-cold');
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 3, stream, mode: 'cold', credit: 4 });
      const delivered = await kit.collect(first, 3, 4);
      first.close();
      await kit.appendOk(writer, stream, kit.events(5, 'Later', 11));
      const second = await kit.open();
      second.send({ type: 'subscribe', sub: 3, stream, from: { after: delivered.at(-1)!.seq }, mode: 'cold', credit: 100 });
      assert.deepEqual(seqsOf(await kit.collect(second, 3, 11)), range(5, 15), 'SPEC 12: the rest, up to the head at the resubscription');
      assert.equal((await second.expect('caught-up', { sub: 3 })).at, 15, 'caught-up at that head');
      await second.expect('complete', { sub: 3 });
    },
  },
  {
    section: '12',
    title: 'appends resent on a new connection after their acks were lost get the original acks, every index in dups, in order',
    async run(kit) {
      const stream = kit.stream('resend');
      const batches = [kit.events(3, 'First'), kit.events(2, 'Second')];
      const first = await kit.open();
      const originals = [
        await kit.appendOk(first, stream, batches[0]!, { expected: 'none' }),
        await kit.appendOk(first, stream, batches[1]!, { expected: 3 }),
      ];
      first.close();
      const second = await kit.open();
      // Resent as they were, pipelined, without newChain (SPEC 12, step 3).
      const ids = batches.map((events, i) => {
        const id = second.id();
        second.send({ type: 'append', id, stream, events, expected: i === 0 ? 'none' : 3 });
        return id;
      });
      for (const [i, id] of ids.entries()) {
        const again = await second.next((frame) => 'id' in frame && frame.id === id);
        const original = originals[i]!;
        assert.equal(again.type, 'appended', `SPEC 5.8: a resent append whose events are all stored succeeds, without checking expected; got ${JSON.stringify(again)}`);
        if (again.type !== 'appended') return;
        assert.deepEqual(
          { tx: again.tx, seqs: again.seqs, positions: again.positions, dups: again.dups },
          { tx: original.tx, seqs: original.seqs, positions: original.positions, dups: range(0, original.seqs.length - 1) },
          `SPEC 12: the original ack, every index in dups`,
        );
      }
      const page = await kit.ask(second, { type: 'read', stream });
      assert.deepEqual(page.type === 'page' ? seqsOf(page.events) : page, [1, 2, 3, 4, 5], 'nothing was written twice');
    },
  },
  {
    section: '12',
    title: 'an append resent after a drop before its ack is written exactly once',
    async run(kit) {
      const stream = kit.stream('resend-lost');
      const events = kit.events(4, 'Once');
      const first = await kit.open();
      // Sent, and the connection dropped before any answer could be read.
      first.send({ type: 'append', id: first.id(), stream, events });
      first.close();
      const second = await kit.open();
      const again = await kit.append(second, stream, events);
      assert.equal(again.type, 'appended', `the resent append is answered appended: ${JSON.stringify(again)}`);
      if (again.type !== 'appended') return;
      const dups = again.dups ?? [];
      assert.ok(
        dups.length === 0 || dups.length === events.length,
        `SPEC 5.8: an append is written all or nothing, so its resend is all or no duplicates, got dups ${JSON.stringify(dups)}`,
      );
      // The first send may still be applied after the resend: it must then write nothing either.
      await kit.sleep(100);
      const page = await kit.ask(second, { type: 'read', stream });
      assert.deepEqual(
        page.type === 'page' ? page.events.map((event) => [event.seq, event.id]) : page,
        events.map((event, i) => [i + 1, event.id]),
        'SPEC 12: each event stored once',
      );
    },
  },
  {
    section: '12',
    title: 'a new connection starts with no broken chains and no subscriptions',
    async run(kit) {
      const writer = await kit.open();
      const { stream } = await kit.seeded(writer, 2, 'fresh-state');
      const first = await kit.open();
      first.send({ type: 'subscribe', sub: 5, stream, mode: 'hot', credit: 10 });
      await first.expect('caught-up', { sub: 5 });
      const failed = await kit.append(first, stream, kit.events(1), { expected: 99 });
      assert.equal(failed.type === 'error' && failed.code, 'wrong-expected-version', `an append expecting version 99 fails: ${JSON.stringify(failed)}`);
      const broken = await kit.append(first, stream, kit.events(1));
      assert.equal(broken.type === 'error' && broken.code, 'chain-broken', `and breaks its stream's chain: ${JSON.stringify(broken)}`);
      first.close();
      const second = await kit.open();
      const appended = await kit.append(second, stream, kit.events(1));
      assert.deepEqual(appended.type === 'appended' ? appended.seqs : appended, [3], 'SPEC 12: the new connection has no broken chain');
      second.send({ type: 'subscribe', sub: 5, stream, mode: 'cold', credit: 10 });
      const frame = await second.next((candidate) => 'sub' in candidate && candidate.sub === 5);
      assert.equal(frame.type, 'events', `SPEC 12: the new connection has no subscription, so sub 5 is free: ${JSON.stringify(frame)}`);
    },
  },
];
