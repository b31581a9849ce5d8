import assert from 'node:assert/strict';
import type { AppendedFrame, ErrorFrame, StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import { CONFORMANCE_AUTH_PATTERN } from '../kit/server-under-test.js';
import type { Answer, KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/** An expected version no stream of a kit run reaches: an append carrying it fails. */
const UNREACHED_VERSION = 999_999;

/** The answer as an `error` of `code`; fails the case with what came otherwise. */
function errorOf(answer: Answer, code: string, rule: string): ErrorFrame {
  assert.ok(answer.type === 'error' && answer.code === code, `${rule}: expected error ${code}, got ${JSON.stringify(answer)}`);
  return answer;
}

/** The answer as an `appended`; fails the case with what came otherwise. */
function ackOf(answer: Answer, rule: string): AppendedFrame {
  assert.equal(answer.type, 'appended', `${rule}: expected appended, got ${JSON.stringify(answer)}`);
  return answer;
}

/** Every event of a stream, oldest first (the kit's streams stay well below maxReadLimit). */
async function storedIn(kit: KitContext, peer: RawPeer, stream: string): Promise<StoredEvent[]> {
  const page = await kit.ask(peer, { type: 'read', stream, limit: kit.limits.maxReadLimit });
  assert.equal(page.type, 'page', `read ${stream}: ${JSON.stringify(page)}`);
  return page.type === 'page' ? page.events : [];
}

/** Breaks the chain of `stream` on this connection with a failed append (a wrong expected version). */
async function breakChain(kit: KitContext, peer: RawPeer, stream: string): Promise<void> {
  errorOf(await kit.append(peer, stream, kit.events(1), { expected: UNREACHED_VERSION }), 'wrong-expected-version', 'an append whose expected version does not hold');
}

/** An event id stored in a stream of its own (not `stream`), for duplicate-id. */
async function storedElsewhere(kit: KitContext, peer: RawPeer): Promise<string> {
  const [event] = kit.events(1, 'Elsewhere');
  await kit.appendOk(peer, kit.stream('elsewhere'), [event!]);
  return event!.id;
}

/**
 * `maxEventsPerAppend + 1` events of `{type: "T"}`, when such an append fits in maxFrameBytes
 * (each takes 8 bytes in msgpack); undefined when it does not, and the server cannot be asked
 * (a server under test announces a small maxEventsPerAppend for these cases to run).
 */
function tooManyEvents(kit: KitContext): { type: string; id?: string; data?: unknown }[] | undefined {
  const count = kit.limits.maxEventsPerAppend + 1;
  if (count * 8 + 512 > kit.limits.maxFrameBytes) return undefined;
  return Array.from({ length: count }, () => ({ type: 'T' }));
}

/** Asserts that the append wrote nothing: the stream holds exactly `before`. */
async function holdsOnly(kit: KitContext, peer: RawPeer, stream: string, before: readonly { id: string }[], rule: string): Promise<void> {
  const ids = (await storedIn(kit, peer, stream)).map((event) => event.id);
  assert.deepEqual(ids, before.map((event) => event.id), `${rule}: the failed append writes nothing`);
}

/** Cases of SPEC.md sections 5.4 and 5.8 (appends), 6.4.2 (`append`, chains), 6.4.8 (`invalidate`) and 6.5.3 (`appended`). */
export const APPENDS_CASES: readonly ConformanceCase[] = [
  // ---- The ack (6.5.3, 5.4)
  {
    section: '6.5.3',
    title: 'acks carry dense seqs, increasing positions and one tx per append',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ack');
      const first = ackOf(await kit.append(peer, stream, kit.events(3)), 'append 3 events');
      const second = ackOf(await kit.append(peer, stream, kit.events(2, 'Tested', 4)), 'append 2 more');
      assert.equal(first.stream, stream, 'appended.stream names the stream');
      assert.deepEqual(first.seqs, [1, 2, 3], 'a new stream starts at seq 1, dense');
      assert.deepEqual(second.seqs, [4, 5], 'seqs go on densely');
      assert.equal(first.tx, 1, 'the first append of a stream is tx 1');
      assert.equal(second.tx, 2, 'each append is a transaction of its own');
      assert.equal('dups' in first, false, `dups is absent when nothing was a duplicate, got ${JSON.stringify(first)}`);
      const positions = [...first.positions, ...second.positions];
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, `positions increase: ${JSON.stringify(positions)}`);
    },
  },
  {
    section: '5.4',
    title: 'every seq, pos and tx is 1 or more, and positions increase across streams',
    async run(kit) {
      const peer = await kit.open();
      const acks = [];
      for (let n = 0; n < 3; n++) acks.push(ackOf(await kit.append(peer, kit.stream('positions'), kit.events(2)), 'append'));
      const positions = acks.flatMap((ack) => ack.positions);
      assert.ok(positions.every((pos) => Number.isSafeInteger(pos) && pos >= 1), `every pos is a uint of 1 or more: ${JSON.stringify(positions)}`);
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, `pos increases with every commit, across streams: ${JSON.stringify(positions)}`);
      assert.ok(acks.every((ack) => ack.tx >= 1 && ack.seqs.every((seq) => seq >= 1)), 'tx and seq are 1 or more');
    },
  },
  {
    section: '5.8',
    title: 'events without an id are stored with one the server assigns',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('no-id');
      ackOf(await kit.append(peer, stream, [{ type: 'NoId', data: 1 }, { type: 'NoId', data: 2 }]), 'events without id');
      const stored = await storedIn(kit, peer, stream);
      assert.equal(stored.length, 2, 'both are stored');
      assert.ok(stored[0]!.id.length > 0 && stored[0]!.id !== stored[1]!.id, `each got an id of its own: ${JSON.stringify(stored)}`);
    },
  },
  // ---- Expected versions (5.8)
  {
    section: '5.8',
    title: 'expected "any", absent or sent, always holds',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('any');
      ackOf(await kit.append(peer, stream, kit.events(1)), 'no expected on a new stream');
      ackOf(await kit.append(peer, stream, kit.events(1), { expected: 'any' }), 'expected "any" on an existing stream');
      ackOf(await kit.append(peer, kit.stream('any-new'), kit.events(1), { expected: 'any' }), 'expected "any" on a new stream');
    },
  },
  {
    section: '5.8',
    title: 'expected "none" holds only for a stream that does not exist, else wrong-expected-version with details',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('none');
      ackOf(await kit.append(peer, stream, kit.events(2), { expected: 'none' }), 'expected "none" on a new stream');
      const failed = errorOf(await kit.append(peer, stream, kit.events(1), { expected: 'none', newChain: true }), 'wrong-expected-version', 'expected "none" on a stream of 2 events');
      assert.deepEqual(failed.details, { stream, expected: 'none', actual: 2 }, `details are {stream, expected as sent, actual}, got ${JSON.stringify(failed)}`);
    },
  },
  {
    section: '5.8',
    title: 'expected "exists" holds only for a stream that has events, else wrong-expected-version with actual 0',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('exists');
      const failed = errorOf(await kit.append(peer, stream, kit.events(1), { expected: 'exists' }), 'wrong-expected-version', 'expected "exists" on a new stream');
      assert.deepEqual(failed.details, { stream, expected: 'exists', actual: 0 }, `details name actual 0, got ${JSON.stringify(failed)}`);
      assert.deepEqual(await storedIn(kit, peer, stream), [], 'nothing was written');
      ackOf(await kit.append(peer, stream, kit.events(1), { newChain: true }), 'a first append');
      ackOf(await kit.append(peer, stream, kit.events(1), { expected: 'exists' }), 'expected "exists" on a stream with events');
    },
  },
  {
    section: '5.8',
    title: 'expected n holds only when the version is exactly n, else wrong-expected-version naming the actual version',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('exact');
      await kit.appendOk(peer, stream, kit.events(3));
      for (const wrong of [2, 4]) {
        const failed = errorOf(await kit.append(peer, stream, kit.events(1), { expected: wrong, newChain: true }), 'wrong-expected-version', `expected ${wrong} on version 3`);
        assert.deepEqual(failed.details, { stream, expected: wrong, actual: 3 }, `details, got ${JSON.stringify(failed)}`);
      }
      const ack = ackOf(await kit.append(peer, stream, kit.events(1), { expected: 3, newChain: true }), 'expected 3 on version 3');
      assert.deepEqual(ack.seqs, [4], 'written after seq 3');
    },
  },
  {
    section: '5.8',
    title: 'expected 0 means the stream must not exist, as "none"',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('zero');
      ackOf(await kit.append(peer, stream, kit.events(1), { expected: 0 }), 'expected 0 on a new stream');
      const failed = errorOf(await kit.append(peer, stream, kit.events(1), { expected: 0, newChain: true }), 'wrong-expected-version', 'expected 0 on a stream of 1 event');
      assert.deepEqual(failed.details, { stream, expected: 0, actual: 1 }, `details, got ${JSON.stringify(failed)}`);
    },
  },
  // ---- Idempotency (5.8)
  {
    section: '5.8',
    title: 'a re-sent append writes nothing and gets its original ack back, without its expected version checked',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('idem');
      const list = kit.events(2);
      const original = ackOf(await kit.append(peer, stream, list), 'the first append');
      await kit.appendOk(peer, stream, kit.events(3));
      const again = ackOf(await kit.append(peer, stream, list, { expected: 'none' }), 'the retry, with an expected version that does not hold');
      assert.deepEqual(again.seqs, original.seqs, 'the original seqs');
      assert.deepEqual(again.positions, original.positions, 'the original positions');
      assert.equal(again.tx, original.tx, 'the original tx');
      assert.deepEqual(again.dups, [0, 1], 'every index in dups');
      assert.equal((await storedIn(kit, peer, stream)).length, 5, 'nothing more was written');
    },
  },
  {
    section: '5.8',
    title: 'a retry on a new connection gets the original ack (an ack lost with its connection)',
    async run(kit) {
      const first = await kit.open();
      const stream = kit.stream('idem-reconnect');
      await kit.appendOk(first, stream, kit.events(3));
      const list = kit.events(1);
      const original = ackOf(await kit.append(first, stream, list, { expected: 3 }), 'the append');
      first.close();
      const second = await kit.open();
      const again = ackOf(await kit.append(second, stream, list, { expected: 3 }), 'the retry');
      assert.deepEqual([again.tx, again.seqs, again.positions, again.dups], [original.tx, original.seqs, original.positions, [0]], `the original ack, got ${JSON.stringify(again)}`);
    },
  },
  {
    section: '5.8',
    title: 'some events stored already: they write nothing and are listed in dups, the others are written as a new transaction',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('partial');
      const [a, b, c] = kit.events(3);
      const original = ackOf(await kit.append(peer, stream, [a!]), 'the first');
      const ack = ackOf(await kit.append(peer, stream, [b!, a!, c!], { expected: 1 }), 'b, a again, c');
      assert.deepEqual(ack.seqs, [2, 1, 3], `b and c get new seqs, a its original: ${JSON.stringify(ack)}`);
      assert.equal(ack.positions[1], original.positions[0], 'a answers its original pos');
      assert.deepEqual(ack.dups, [1], 'dups lists the index of a');
      assert.equal(ack.tx, 2, 'a new transaction for what was written');
      assert.deepEqual((await storedIn(kit, peer, stream)).map((event) => event.id), [a!.id, b!.id, c!.id], 'a stored once');
    },
  },
  {
    section: '5.8',
    title: 'an event id stored in another stream fails the append with duplicate-id, details {id}, and writes nothing',
    async run(kit) {
      const peer = await kit.open();
      const elsewhere = await storedElsewhere(kit, peer);
      const stream = kit.stream('dup-id');
      const fresh = kit.events(2);
      const failed = errorOf(await kit.append(peer, stream, [fresh[0]!, { id: elsewhere, type: 'Elsewhere', data: { n: 1 } }, fresh[1]!]), 'duplicate-id', 'an id of another stream');
      assert.deepEqual(failed.details, { id: elsewhere }, `details are {id}, without the other stream, got ${JSON.stringify(failed)}`);
      await holdsOnly(kit, peer, stream, [], 'duplicate-id');
    },
  },
  {
    section: '5.8',
    title: 'the same event id twice in one append is bad-frame with details {id}, and writes nothing',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('twice');
      const [x, y] = kit.events(2);
      const failed = errorOf(await kit.append(peer, stream, [x!, y!, y!, x!]), 'bad-frame', 'x, y, y, x');
      assert.deepEqual(failed.details, { id: y!.id }, `details name the id whose second occurrence comes first, got ${JSON.stringify(failed)}`);
      assert.equal(failed.id !== undefined, true, 'the error names the request');
      await holdsOnly(kit, peer, stream, [], 'same id twice');
    },
  },
  // ---- Content de-duplication (5.8)
  {
    section: '5.8',
    title: 'dedupe: an event equal to the newest of its key writes nothing only when asked, and answers that event',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe');
      const same = { type: 'Price', key: 'k1', data: { v: 1, w: [1, 2] } };
      const first = ackOf(await kit.append(peer, stream, [{ ...same, id: kit.eventId() }]), 'the first');
      const second = ackOf(await kit.append(peer, stream, [{ ...same, id: kit.eventId() }], { dedupe: true }), 'equal content, dedupe');
      assert.deepEqual([second.dups, second.seqs, second.positions, second.tx], [[0], first.seqs, first.positions, first.tx], `a duplicate answers the newest event of its key, got ${JSON.stringify(second)}`);
      const third = ackOf(await kit.append(peer, stream, [{ ...same, id: kit.eventId() }]), 'equal content, no dedupe');
      assert.deepEqual([third.seqs, third.tx], [[2], 2], `without dedupe it is written, and the skipped one used no seq or tx: ${JSON.stringify(third)}`);
    },
  },
  {
    section: '5.8',
    title: 'dedupe: data is compared deeply, map order aside; another type, other data or no key is written',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe-deep');
      await kit.appendOk(peer, stream, [
        { id: kit.eventId(), type: 'P', key: 'a', data: { x: 1, y: { z: [1, 'two'] } } },
        { id: kit.eventId(), type: 'P', key: 'b' },
        { id: kit.eventId(), type: 'P', data: 5 },
      ]);
      const ack = ackOf(
        await kit.append(
          peer,
          stream,
          [
            { id: kit.eventId(), type: 'P', key: 'a', data: { y: { z: [1, 'two'] }, x: 1 } },
            { id: kit.eventId(), type: 'P', key: 'b' },
            { id: kit.eventId(), type: 'Q', key: 'a', data: { x: 1, y: { z: [1, 'two'] } } },
            { id: kit.eventId(), type: 'P', key: 'b', data: null },
            { id: kit.eventId(), type: 'P', data: 5 },
          ],
          { dedupe: true },
        ),
        'five events with dedupe',
      );
      assert.deepEqual(ack.dups, [0, 1], `same data in another map order, and both data absent, are duplicates; another type, null for absent, no key are not: ${JSON.stringify(ack)}`);
      assert.deepEqual(ack.seqs, [1, 2, 4, 5, 6], 'the duplicates answer the stored events, the others are written');
    },
  },
  {
    section: '5.8',
    title: 'dedupe: only the newest event of the key counts',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe-newest');
      await kit.appendOk(peer, stream, [
        { id: kit.eventId(), type: 'P', key: 'k', data: 1 },
        { id: kit.eventId(), type: 'P', key: 'k', data: 2 },
      ]);
      const ack = ackOf(await kit.append(peer, stream, [{ id: kit.eventId(), type: 'P', key: 'k', data: 1 }], { dedupe: true }), 'equal to an older event of the key');
      assert.deepEqual([ack.seqs, ack.dups], [[3], undefined], `equal to an older event only: written, got ${JSON.stringify(ack)}`);
    },
  },
  {
    section: '5.8',
    title: 'dedupe within one append: an event equal to one this append writes before it writes nothing',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe-inside');
      const ack = ackOf(
        await kit.append(
          peer,
          stream,
          [
            { id: kit.eventId(), type: 'P', key: 'k', data: 1 },
            { id: kit.eventId(), type: 'P', key: 'k', data: 1 },
            { id: kit.eventId(), type: 'P', key: 'k', data: 2 },
            { id: kit.eventId(), type: 'P', key: 'k', data: 1 },
          ],
          { dedupe: true },
        ),
        'k=1, k=1, k=2, k=1',
      );
      assert.deepEqual(ack.dups, [1], `the second k=1 is a duplicate of the first; the last is not (k=2 came between): ${JSON.stringify(ack)}`);
      assert.deepEqual(ack.seqs, [1, 1, 2, 3], 'the duplicate answers the seq of the event before it');
      assert.equal(ack.positions[1], ack.positions[0], 'and its pos');
    },
  },
  {
    section: '5.8',
    title: 'dedupe: an id duplicate earlier in the append does not count as the newest of its key, its stored original does where it is',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe-id-dup');
      const old = { id: kit.eventId(), type: 'P', key: 'k', data: 1 };
      await kit.appendOk(peer, stream, [old, { id: kit.eventId(), type: 'P', key: 'k', data: 2 }]);
      const ack = ackOf(await kit.append(peer, stream, [old, { id: kit.eventId(), type: 'P', key: 'k', data: 1 }], { dedupe: true }), 'an id duplicate of k=1, then a fresh k=1');
      assert.deepEqual([ack.dups, ack.seqs], [[0], [1, 3]], `the newest of k is the stored k=2, so the fresh k=1 is written: ${JSON.stringify(ack)}`);
    },
  },
  {
    section: '5.8',
    title: 'dedupe: an append of duplicates only writes nothing, answers the tx of the first event, and still checks its expected version',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('dedupe-all');
      const stored = { id: kit.eventId(), type: 'P', key: 'k', data: 1 };
      const first = ackOf(await kit.append(peer, stream, [stored]), 'k=1');
      const content = () => ({ id: kit.eventId(), type: 'P', key: 'k', data: 1 });
      errorOf(await kit.append(peer, stream, [stored, content()], { dedupe: true, expected: 'none' }), 'wrong-expected-version', 'an id duplicate and a content duplicate, expected "none"');
      const ack = ackOf(await kit.append(peer, stream, [stored, content()], { dedupe: true, expected: 1, newChain: true }), 'the same, expected 1');
      assert.deepEqual([ack.dups, ack.seqs, ack.positions, ack.tx], [[0, 1], [1, 1], [first.positions[0], first.positions[0]], first.tx], `all duplicates: ${JSON.stringify(ack)}`);
      const next = ackOf(await kit.append(peer, stream, kit.events(1)), 'the next append');
      assert.deepEqual([next.seqs, next.tx], [[2], 2], 'an append that wrote nothing used no seq and no tx');
    },
  },
  // ---- Reserved types and the event limit
  {
    section: '5.8',
    title: 'an event type starting with $ is forbidden, and nothing is written',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('reserved');
      for (const type of ['$invalidated', '$mine']) {
        const failed = errorOf(await kit.append(peer, stream, [...kit.events(1), { type }], { newChain: true }), 'forbidden', `type ${type}`);
        assert.equal(typeof failed.id, 'number', 'the error names the request');
      }
      await holdsOnly(kit, peer, stream, [], '$ type');
    },
  },
  {
    section: '6.4.2',
    title: 'more events than maxEventsPerAppend is limit naming the request, writes nothing and breaks the chain',
    async run(kit) {
      const events = tooManyEvents(kit);
      if (events === undefined) return; // maxEventsPerAppend + 1 events cannot fit in one frame of this server.
      const peer = await kit.open();
      const stream = kit.stream('limit');
      const id = peer.id();
      peer.send({ type: 'append', id, stream, events });
      peer.send({ type: 'append', id: id + 1000, stream, events: kit.events(1) });
      errorOf((await peer.next((frame) => 'id' in frame && frame.id === id)) as Answer, 'limit', `${events.length} events`);
      errorOf((await peer.next((frame) => 'id' in frame && frame.id === id + 1000)) as Answer, 'chain-broken', 'the append after it');
      await holdsOnly(kit, peer, stream, [], 'limit');
    },
  },
  // ---- Chains (6.4.2)
  {
    section: '6.4.2',
    title: 'appends pipelined behind a failed one fail chain-broken with details {stream}, other streams go on, until newChain',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('chain');
      const other = kit.stream('chain-other');
      const [a, b, c, d] = [peer.id(), peer.id(), peer.id(), peer.id()];
      peer.send({ type: 'append', id: a, stream, events: kit.events(1), expected: 7 });
      peer.send({ type: 'append', id: b, stream, events: kit.events(1) });
      peer.send({ type: 'append', id: c, stream: other, events: kit.events(1) });
      peer.send({ type: 'append', id: d, stream, events: kit.events(1) });
      assert.equal((await peer.expect('error', { id: a })).code, 'wrong-expected-version');
      const broken = await peer.expect('error', { id: b });
      assert.deepEqual([broken.code, broken.details], ['chain-broken', { stream }], `chain-broken with details {stream}, got ${JSON.stringify(broken)}`);
      assert.deepEqual((await peer.expect('appended', { id: c })).seqs, [1], 'another stream is not affected');
      assert.equal((await peer.expect('error', { id: d })).code, 'chain-broken');
      const fresh = ackOf(await kit.append(peer, stream, kit.events(1), { newChain: true }), 'newChain');
      assert.deepEqual(fresh.seqs, [1], 'nothing was written before');
      ackOf(await kit.append(peer, stream, kit.events(1)), 'the chain is whole again: no newChain needed');
    },
  },
  {
    section: '6.4.2',
    title: 'an append frame that fails validation but names its stream breaks that chain, in its place among the writes',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('bad-chain');
      const [a, b, c] = [peer.id(), peer.id(), peer.id()];
      peer.send({ type: 'append', id: a, stream, events: [{ data: 'no type' }] });
      peer.send({ type: 'append', id: b, stream, events: kit.events(1) });
      assert.equal((await peer.expect('error', { id: a })).code, 'bad-frame');
      assert.equal((await peer.expect('error', { id: b })).code, 'chain-broken');
      peer.send({ type: 'append', id: c, stream, events: kit.events(1), newChain: true });
      assert.deepEqual((await peer.expect('appended', { id: c })).seqs, [1]);
    },
  },
  {
    section: '6.4.2',
    title: 'pipelined writes are answered in the order received, each failure breaking only the appends after it',
    timeoutMs: 20_000,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('order');
      const other = kit.stream('order-other');
      const sent: { id: number; answer: string }[] = [];
      const send = (frame: object, answer: string): void => {
        const id = peer.id();
        peer.send({ type: 'append', id, ...frame });
        sent.push({ id, answer });
      };
      for (let n = 1; n <= 20; n++) send({ stream, events: kit.events(1) }, `appended ${n}`);
      send({ stream, events: [{ data: 'no type' }] }, 'bad-frame');
      send({ stream, events: kit.events(1) }, 'chain-broken');
      send({ stream: other, events: kit.events(1) }, 'appended 1');
      send({ stream, events: kit.events(1), expected: 3, newChain: true }, 'wrong-expected-version');
      send({ stream, events: kit.events(1) }, 'chain-broken');
      for (let n = 21; n <= 40; n++) send({ stream, events: kit.events(1), ...(n === 21 ? { newChain: true } : {}) }, `appended ${n}`);
      const answers: { id: number; answer: string }[] = [];
      for (const _ of sent) {
        const frame = await peer.next((candidate) => candidate.type === 'appended' || candidate.type === 'error');
        if (frame.type === 'appended') answers.push({ id: frame.id, answer: `appended ${frame.seqs.join()}` });
        else if (frame.type === 'error') answers.push({ id: frame.id ?? -1, answer: frame.code });
      }
      assert.deepEqual(answers, sent, 'the answers, in the order sent');
    },
  },
  {
    section: '6.4.2',
    title: 'newChain on a stream whose chain is whole changes nothing',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('new-chain-whole');
      ackOf(await kit.append(peer, stream, kit.events(1), { newChain: true }), 'newChain on a new stream');
      const ack = ackOf(await kit.append(peer, stream, kit.events(1), { newChain: true, expected: 1 }), 'newChain again');
      assert.deepEqual(ack.seqs, [2]);
    },
  },
  {
    section: '6.4.2',
    title: 'a chain belongs to one connection: a new connection starts with none broken, the old one stays broken',
    async run(kit) {
      const first = await kit.open();
      const stream = kit.stream('chain-connection');
      await breakChain(kit, first, stream);
      const second = await kit.open();
      ackOf(await kit.append(second, stream, kit.events(1)), 'the same stream on a new connection');
      errorOf(await kit.append(first, stream, kit.events(1)), 'chain-broken', 'the old connection');
    },
  },
  {
    section: '6.4.2',
    title: 'an append with newChain that fails breaks the chain again',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('chain-again');
      await breakChain(kit, peer, stream);
      errorOf(await kit.append(peer, stream, kit.events(1), { newChain: true, expected: 'exists' }), 'wrong-expected-version', 'newChain, expected "exists" on a new stream');
      errorOf(await kit.append(peer, stream, kit.events(1)), 'chain-broken', 'the next append without newChain');
    },
  },
  // ---- Which check wins (5.8, "Order of the checks")
  {
    section: '5.8',
    title: 'order: an append frame that fails validation on a broken chain is bad-frame, and its newChain mends nothing',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('order-bad-broken');
      await breakChain(kit, peer, stream);
      errorOf(await kit.append(peer, stream, [{ data: 'no type' }], { newChain: true }), 'bad-frame', 'a bad frame with newChain on a broken chain');
      errorOf(await kit.append(peer, stream, kit.events(1)), 'chain-broken', 'the chain is still broken');
    },
  },
  {
    section: '5.8',
    title: 'order: chain-broken wins over $ types, same id twice, duplicate-id and the expected version',
    async run(kit) {
      const peer = await kit.open();
      const elsewhere = await storedElsewhere(kit, peer);
      const stream = kit.stream('order-chain');
      await breakChain(kit, peer, stream);
      const [x] = kit.events(1);
      const appends: [string, object[], Record<string, unknown>][] = [
        ['a $ type', [{ type: '$mine' }], {}],
        ['the same id twice', [x!, x!], {}],
        ['an id of another stream', [{ id: elsewhere, type: 'Elsewhere' }], {}],
        ['an expected version that does not hold', kit.events(1), { expected: 'exists' }],
      ];
      for (const [what, events, extra] of appends) {
        errorOf(await kit.append(peer, stream, events, extra), 'chain-broken', `${what} on a broken chain`);
      }
    },
  },
  {
    section: '5.8',
    title: 'order: chain-broken wins over the event limit',
    async run(kit) {
      const events = tooManyEvents(kit);
      if (events === undefined) return; // maxEventsPerAppend + 1 events cannot fit in one frame of this server.
      const peer = await kit.open();
      const stream = kit.stream('order-chain-limit');
      await breakChain(kit, peer, stream);
      errorOf(await kit.append(peer, stream, events), 'chain-broken', 'too many events on a broken chain');
    },
  },
  {
    section: '5.8',
    title: 'order: newChain mends the chain first, and a later check decides: a $ type with newChain on a broken chain is forbidden',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('order-mend');
      await breakChain(kit, peer, stream);
      errorOf(await kit.append(peer, stream, [{ type: '$mine' }], { newChain: true }), 'forbidden', 'a $ type with newChain');
      errorOf(await kit.append(peer, stream, kit.events(1)), 'chain-broken', 'that failure broke the chain again');
    },
  },
  {
    section: '5.8',
    title: 'order: a frame that fails validation wins over the event limit',
    async run(kit) {
      const events = tooManyEvents(kit);
      if (events === undefined) return; // maxEventsPerAppend + 1 events cannot fit in one frame of this server.
      const peer = await kit.open();
      errorOf(await kit.append(peer, kit.stream('order-bad-limit'), [...events.slice(1), { data: 'no type' }]), 'bad-frame', 'too many events, one without a type');
    },
  },
  {
    section: '5.8',
    title: 'order: the event limit wins over $ types and the same id twice',
    async run(kit) {
      const events = tooManyEvents(kit);
      if (events === undefined) return; // maxEventsPerAppend + 1 events cannot fit in one frame of this server.
      const peer = await kit.open();
      const stream = kit.stream('order-limit');
      const [x] = kit.events(1);
      errorOf(await kit.append(peer, stream, [...events.slice(2), { type: '$mine' }, { type: '$mine' }], { newChain: true }), 'limit', 'too many events, some of a $ type');
      errorOf(await kit.append(peer, stream, [...events.slice(2), x!, x!], { newChain: true }), 'limit', 'too many events, one id twice');
      await holdsOnly(kit, peer, stream, [], 'limit');
    },
  },
  {
    section: '5.8',
    title: 'order: a $ type wins over the same id twice, duplicate-id and the expected version',
    async run(kit) {
      const peer = await kit.open();
      const elsewhere = await storedElsewhere(kit, peer);
      const stream = kit.stream('order-reserved');
      const [x] = kit.events(1);
      const appends: [string, object[], Record<string, unknown>][] = [
        ['the same id twice', [x!, x!, { type: '$mine' }], {}],
        ['an id of another stream', [{ id: elsewhere, type: 'Elsewhere' }, { type: '$mine' }], {}],
        ['an expected version that does not hold', [{ type: '$mine' }], { expected: 'exists' }],
      ];
      for (const [what, events, extra] of appends) {
        errorOf(await kit.append(peer, stream, events, { ...extra, newChain: true }), 'forbidden', `a $ type and ${what}`);
      }
    },
  },
  {
    section: '5.8',
    title: 'order: the same id twice is checked over the whole append before duplicate-id',
    async run(kit) {
      const peer = await kit.open();
      const elsewhere = await storedElsewhere(kit, peer);
      const [x] = kit.events(1);
      const failed = errorOf(await kit.append(peer, kit.stream('order-twice'), [{ id: elsewhere, type: 'Elsewhere' }, x!, x!]), 'bad-frame', 'an id of another stream first, then one id twice');
      assert.deepEqual(failed.details, { id: x!.id }, `details name the id twice, got ${JSON.stringify(failed)}`);
    },
  },
  {
    section: '5.8',
    title: 'order: the same id twice wins over a retry, even when that id is stored in the stream',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('order-twice-retry');
      const [x] = kit.events(1);
      await kit.appendOk(peer, stream, [x!]);
      errorOf(await kit.append(peer, stream, [x!, x!]), 'bad-frame', 'a stored id twice');
    },
  },
  {
    section: '5.8',
    title: 'order: duplicate-id wins over a retry, names the first such event, and wins over the expected version',
    async run(kit) {
      const peer = await kit.open();
      const first = await storedElsewhere(kit, peer);
      const second = await storedElsewhere(kit, peer);
      const stream = kit.stream('order-dup');
      const [x] = kit.events(1);
      await kit.appendOk(peer, stream, [x!]);
      const failed = errorOf(
        await kit.append(peer, stream, [x!, { id: first, type: 'Elsewhere' }, { id: second, type: 'Elsewhere' }], { newChain: true }),
        'duplicate-id',
        'an id of this stream, then two of others',
      );
      assert.deepEqual(failed.details, { id: first }, `the first id of another stream, got ${JSON.stringify(failed)}`);
      errorOf(await kit.append(peer, stream, [...kit.events(1), { id: first, type: 'Elsewhere' }], { expected: UNREACHED_VERSION, newChain: true }), 'duplicate-id', 'with an expected version that does not hold');
    },
  },
  // ---- invalidate (6.4.8)
  {
    section: '6.4.8',
    title: 'invalidate appends a $invalidated event naming the tx, as a transaction of its own, answered appended',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('invalidate');
      await kit.appendOk(peer, stream, kit.events(2));
      await kit.appendOk(peer, stream, kit.events(1));
      const ack = ackOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 1, reason: 'wrong price' }), 'invalidate tx 1');
      assert.deepEqual([ack.stream, ack.tx, ack.seqs, ack.positions.length], [stream, 3, [4], 1], `a new tx and seq: ${JSON.stringify(ack)}`);
      const stored = await storedIn(kit, peer, stream);
      assert.equal(stored.length, 4, 'nothing is deleted');
      assert.deepEqual(
        [stored[3]!.type, stored[3]!.data, stored[3]!.tx, stored[3]!.pos],
        ['$invalidated', { tx: 1, reason: 'wrong price' }, 3, ack.positions[0]],
        `the system event: ${JSON.stringify(stored[3])}`,
      );
      const again = ackOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 1 }), 'invalidate tx 1 again');
      assert.deepEqual([again.tx, again.seqs], [4, [5]], 'not idempotent: a second event');
      assert.deepEqual((await storedIn(kit, peer, stream))[4]!.data, { tx: 1 }, 'without reason, data is {tx}');
    },
  },
  {
    section: '6.4.8',
    title: 'invalidate of a tx the stream does not have is not-found with details {stream, tx}',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('invalidate-missing');
      await kit.appendOk(peer, stream, kit.events(2));
      const beyond = errorOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 2 }), 'not-found', 'tx 2 of a stream of one transaction');
      assert.deepEqual(beyond.details, { stream, tx: 2 }, `details, got ${JSON.stringify(beyond)}`);
      const none = kit.stream('invalidate-nowhere');
      const absent = errorOf(await kit.ask(peer, { type: 'invalidate', stream: none, tx: 1 }), 'not-found', 'a stream that does not exist');
      assert.deepEqual(absent.details, { stream: none, tx: 1 }, `details, got ${JSON.stringify(absent)}`);
      assert.equal((await storedIn(kit, peer, stream)).length, 2, 'nothing written');
    },
  },
  {
    section: '6.4.8',
    title: 'a failed invalidate breaks its chain; an invalidate on a broken chain is chain-broken',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('invalidate-chain');
      await kit.appendOk(peer, stream, kit.events(1));
      errorOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 5 }), 'not-found', 'tx 5');
      errorOf(await kit.append(peer, stream, kit.events(1)), 'chain-broken', 'an append after the failed invalidate');
      const broken = errorOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 1 }), 'chain-broken', 'a good invalidate on the broken chain');
      assert.deepEqual(broken.details, { stream }, 'details {stream}');
      ackOf(await kit.append(peer, stream, kit.events(1), { newChain: true }), 'newChain mends it');
      ackOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 1 }), 'then invalidate goes through');
    },
  },
  {
    section: '6.4.8',
    title: 'an invalidate frame that fails validation is bad-frame and breaks no chain',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('invalidate-bad');
      await kit.appendOk(peer, stream, kit.events(1));
      errorOf(await kit.ask(peer, { type: 'invalidate', stream, tx: 0 }), 'bad-frame', 'tx 0 (tx is a posint)');
      ackOf(await kit.append(peer, stream, kit.events(1)), 'an append after it, without newChain');
    },
  },
  {
    section: '6.4.8',
    title: 'invalidate is applied in order with the appends pipelined around it',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('invalidate-order');
      const [a, b, c] = [peer.id(), peer.id(), peer.id()];
      peer.send({ type: 'append', id: a, stream, events: kit.events(1) });
      peer.send({ type: 'invalidate', id: b, stream, tx: 1 });
      peer.send({ type: 'append', id: c, stream, events: kit.events(1) });
      const answers = [];
      for (let n = 0; n < 3; n++) answers.push(await peer.next((frame) => frame.type === 'appended' || frame.type === 'error'));
      assert.deepEqual(
        answers.map((frame) => [frame.type, 'id' in frame ? frame.id : undefined, frame.type === 'appended' ? frame.seqs : undefined]),
        [['appended', a, [1]], ['appended', b, [2]], ['appended', c, [3]]],
        `the invalidate sees the append before it (tx 1 exists), in order: ${JSON.stringify(answers)}`,
      );
    },
  },
  // ---- Permissions in the order (6.6, 5.8)
  {
    section: '5.8',
    title: 'order: a refused write permission wins over a broken chain, a $ type and the limit; a bad frame wins over it',
    needs: ['auth'],
    async run(kit) {
      const outside = kit.stream('outside', 'tauon-conf-other-');
      const writer = await kit.open({ token: kit.server.auth!.writer });
      const forbidden = (answer: Answer, what: string): void => {
        const failed = errorOf(answer, 'forbidden', what);
        assert.deepEqual(failed.details, { permission: 'write', selector: outside }, `${what}: the permission's forbidden, got ${JSON.stringify(failed)}`);
      };
      forbidden(await kit.append(writer, outside, kit.events(1)), 'an append without write permission');
      forbidden(await kit.append(writer, outside, kit.events(1)), 'again, on the chain the refusal broke');
      forbidden(await kit.append(writer, outside, [{ type: '$mine' }], { newChain: true }), 'a $ type without write permission');
      errorOf(await kit.append(writer, outside, [{ data: 'no type' }]), 'bad-frame', 'a bad frame without write permission');
      const inside = kit.stream('s', CONFORMANCE_AUTH_PATTERN.slice(0, -1));
      ackOf(await kit.append(writer, inside, kit.events(1)), 'the writer may write its own streams');
    },
  },
];
