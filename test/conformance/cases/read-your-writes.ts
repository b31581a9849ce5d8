import assert from 'node:assert/strict';
import type { ServerFrame, StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { Answer, KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/** How often each case sends its write and its query together: enough for a race to show. */
const ROUNDS = 20;

/**
 * Sends a write and a query right behind it, without waiting, and returns both answers. The
 * write's answer must come first (SPEC 6.3: the query is answered after the writes before it).
 */
async function writeThenQuery(peer: RawPeer, write: Record<string, unknown>, query: Record<string, unknown>): Promise<{ write: Answer; query: Answer }> {
  const [writeId, queryId] = [peer.id(), peer.id()];
  peer.send({ ...write, id: writeId });
  peer.send({ ...query, id: queryId });
  const ours = (frame: ServerFrame): boolean => 'id' in frame && (frame.id === writeId || frame.id === queryId);
  const first = (await peer.next(ours)) as Answer;
  const second = (await peer.next(ours)) as Answer;
  assert.equal(first.id, writeId, `the ${String(write['type'])} sent first is answered before the ${String(query['type'])} behind it, got ${JSON.stringify(first)} first`);
  return { write: first, query: second };
}

/** An append of one fresh event to a fresh stream. */
function freshAppend(kit: KitContext, label: string): { stream: string; event: { id: string }; frame: Record<string, unknown> } {
  const stream = kit.stream(label);
  const [event] = kit.events(1);
  return { stream, event: event!, frame: { type: 'append', stream, events: [event] } };
}

/** The answer as a `page`. */
function pageOf(answer: Answer, what: string): StoredEvent[] {
  assert.equal(answer.type, 'page', `${what}: expected a page, got ${JSON.stringify(answer)}`);
  return answer.type === 'page' ? answer.events : [];
}

/** Cases of SPEC.md section 6.3, "Read-your-writes, in session order". */
export const READ_YOUR_WRITES_CASES: readonly ConformanceCase[] = [
  {
    section: '6.3',
    title: 'a read sent right behind an append sees the event, every time',
    async run(kit) {
      const peer = await kit.open();
      for (let round = 1; round <= ROUNDS; round++) {
        const { stream, event, frame } = freshAppend(kit, 'ryw-read');
        const answers = await writeThenQuery(peer, frame, { type: 'read', stream });
        assert.equal(answers.write.type, 'appended', `round ${round}: the append succeeds`);
        const events = pageOf(answers.query, `round ${round}`);
        assert.deepEqual(events.map((stored) => stored.id), [event.id], `round ${round}: the read sees the append sent before it`);
      }
    },
  },
  {
    section: '6.3',
    title: 'a backward read sent right behind an append starts at the new head',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-backward');
      for (let round = 1; round <= ROUNDS; round++) {
        const [event] = kit.events(1);
        const answers = await writeThenQuery(peer, { type: 'append', stream, events: [event] }, { type: 'read', stream, direction: 'backward', limit: 1 });
        const events = pageOf(answers.query, `round ${round}`);
        assert.deepEqual(events.map((stored) => [stored.id, stored.seq]), [[event!.id, round]], `round ${round}: the newest event is the one just appended`);
      }
    },
  },
  {
    section: '6.3',
    title: 'a surface sent right behind an append sees the new newest event of its key',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-surface');
      for (let round = 1; round <= ROUNDS; round++) {
        const event = { id: kit.eventId(), type: 'P', key: 'k', data: round };
        const answers = await writeThenQuery(peer, { type: 'append', stream, events: [event] }, { type: 'surface', stream });
        const events = pageOf(answers.query, `round ${round}`);
        assert.deepEqual(events.map((stored) => stored.data), [round], `round ${round}: the surface holds the value just appended`);
      }
    },
  },
  {
    section: '6.3',
    title: 'a streams request sent right behind an append lists the stream with its new head',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-streams');
      for (let round = 1; round <= ROUNDS; round++) {
        const answers = await writeThenQuery(peer, { type: 'append', stream, events: kit.events(1) }, { type: 'streams', prefix: stream });
        const list = answers.query;
        assert.equal(list.type, 'stream-list', `round ${round}: expected a stream-list, got ${JSON.stringify(list)}`);
        const summary = list.type === 'stream-list' ? list.streams.find((candidate) => candidate.stream === stream) : undefined;
        assert.deepEqual([summary?.head, summary?.count], [round, round], `round ${round}: the stream is listed with head ${round}, got ${JSON.stringify(list)}`);
      }
    },
  },
  {
    section: '6.3',
    title: 'an info sent right behind an append names a head at or past the new event',
    async run(kit) {
      const peer = await kit.open();
      for (let round = 1; round <= ROUNDS; round++) {
        const { frame } = freshAppend(kit, 'ryw-info');
        const answers = await writeThenQuery(peer, frame, { type: 'info' });
        assert.equal(answers.write.type, 'appended', `round ${round}: the append succeeds`);
        const position = answers.write.type === 'appended' ? answers.write.positions[0]! : 0;
        assert.equal(answers.query.type, 'server-info', `round ${round}: expected server-info`);
        const head = answers.query.type === 'server-info' ? answers.query.head : 0;
        assert.ok(head >= position, `round ${round}: server-info.head ${head} counts the event at pos ${position}`);
      }
    },
  },
  {
    section: '6.3',
    title: 'a cold subscribe sent right behind an append delivers the event, then complete',
    async run(kit) {
      const peer = await kit.open();
      for (let round = 1; round <= ROUNDS; round++) {
        const { stream, event, frame } = freshAppend(kit, 'ryw-cold');
        const id = peer.id();
        peer.send({ ...frame, id });
        peer.send({ type: 'subscribe', sub: round, stream, mode: 'cold', credit: 10 });
        await peer.expect('complete', { sub: round });
        const delivered = peer.received.filter((candidate) => candidate.type === 'events' && candidate.sub === round).flatMap((candidate) => (candidate.type === 'events' ? candidate.events : []));
        assert.deepEqual(delivered.map((stored) => stored.id), [event.id], `round ${round}: it delivers the event appended before it`);
        await peer.expect('appended', { id });
      }
    },
  },
  {
    section: '6.3',
    title: 'a hot-cold subscribe from the start sent right behind an append delivers the event before caught-up',
    async run(kit) {
      const peer = await kit.open();
      for (let round = 1; round <= ROUNDS; round++) {
        const { stream, event, frame } = freshAppend(kit, 'ryw-hot-cold');
        const id = peer.id();
        peer.send({ ...frame, id });
        peer.send({ type: 'subscribe', sub: round, stream, from: 'start', mode: 'hot-cold', credit: 10 });
        const caughtUp = await peer.expect('caught-up', { sub: round });
        const index = peer.received.indexOf(caughtUp);
        const before = peer.received.slice(0, index).filter((candidate) => candidate.type === 'events' && candidate.sub === round);
        const ids = before.flatMap((candidate) => (candidate.type === 'events' ? candidate.events.map((stored) => stored.id) : []));
        assert.deepEqual(ids, [event.id], `round ${round}: the event comes before caught-up (it is history to the subscription), got ${JSON.stringify(peer.received.slice(index - 2, index + 1))}`);
        assert.equal(caughtUp.at, 1, `round ${round}: caught up at seq 1`);
        await peer.expect('appended', { id });
        peer.send({ type: 'unsubscribe', sub: round });
      }
    },
  },
  {
    section: '6.3',
    title: 'a hot subscribe sent right behind an append starts after it',
    async run(kit) {
      const peer = await kit.open();
      const writer = await kit.open();
      const stream = kit.stream('ryw-hot');
      const id = peer.id();
      peer.send({ type: 'append', id, stream, events: kit.events(1) });
      peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot', credit: 10 });
      await peer.expect('caught-up', { sub: 1 });
      const [later] = kit.events(1);
      await kit.appendOk(writer, stream, [later!]);
      const first = await peer.expect('events', { sub: 1 });
      assert.deepEqual(first.events.map((stored) => stored.id), [later!.id], `a hot subscription starts at the head after the append before it: ${JSON.stringify(first)}`);
    },
  },
  {
    section: '6.3',
    title: 'a read behind a burst of pipelined appends sees all of them',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-burst');
      const sent = [];
      for (let n = 0; n < 30; n++) {
        const events = kit.events(1);
        sent.push(events[0]!.id);
        peer.send({ type: 'append', id: peer.id(), stream, events });
      }
      const read = peer.id();
      peer.send({ type: 'read', id: read, stream, limit: 100 });
      const page = await peer.expect('page', { id: read });
      assert.deepEqual(page.events.map((stored) => stored.id), sent, 'the read sees every append sent before it');
      const acks = peer.received.filter((frame) => frame.type === 'appended');
      assert.equal(acks.length, 30, 'and comes after their 30 acks');
    },
  },
  {
    section: '6.3',
    title: 'a read behind an invalidate sees the $invalidated event',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-invalidate');
      await kit.appendOk(peer, stream, kit.events(1));
      const answers = await writeThenQuery(peer, { type: 'invalidate', stream, tx: 1 }, { type: 'read', stream });
      assert.equal(answers.write.type, 'appended', `the invalidate succeeds: ${JSON.stringify(answers.write)}`);
      assert.deepEqual(pageOf(answers.query, 'the read').map((stored) => stored.type), ['Tested', '$invalidated'], 'the read sees it');
    },
  },
  {
    section: '6.3',
    title: 'a read behind a failed append comes after its error and sees nothing of it',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ryw-failed');
      await kit.appendOk(peer, stream, kit.events(1));
      const answers = await writeThenQuery(peer, { type: 'append', stream, events: kit.events(1), expected: 'none' }, { type: 'read', stream });
      assert.equal(answers.write.type === 'error' && answers.write.code, 'wrong-expected-version', `the append fails: ${JSON.stringify(answers.write)}`);
      assert.equal(pageOf(answers.query, 'the read').length, 1, 'the read sees only the first event');
    },
  },
];
