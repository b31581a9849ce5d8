import assert from 'node:assert/strict';
import type { PageFrame, StreamListFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/** Cases of SPEC.md 6.4.6 (read), 6.4.7 (surface), 6.4.9 (streams), 6.4.10 (info) and their answers (6.5.8 to 6.5.10). */

/** Sends a read and returns its page (failing on any other answer). */
async function page(kit: KitContext, peer: RawPeer, frame: Record<string, unknown>): Promise<PageFrame> {
  const answer = await kit.ask(peer, { type: 'read', ...frame });
  assert.equal(answer.type, 'page', `read ${JSON.stringify(frame)}: a page, got ${JSON.stringify(answer)}`);
  return answer;
}

/** The seqs of a page's events. */
function seqs(answer: PageFrame): number[] {
  return answer.events.map((event) => event.seq);
}

/** Sends `streams` and returns the list (failing on any other answer). */
async function list(kit: KitContext, peer: RawPeer, frame: Record<string, unknown>): Promise<StreamListFrame> {
  const answer = await kit.ask(peer, { type: 'streams', ...frame });
  assert.equal(answer.type, 'stream-list', `streams ${JSON.stringify(frame)}: a stream-list, got ${JSON.stringify(answer)}`);
  return answer;
}

/** Checks a read against the seqs it must return and its `next`. */
async function expectPage(kit: KitContext, peer: RawPeer, frame: Record<string, unknown>, expected: number[], next: PageFrame['next'], rule: string): Promise<void> {
  const got = await page(kit, peer, frame);
  assert.deepEqual({ seqs: seqs(got), next: got.next }, { seqs: expected, next }, `${rule}: read ${JSON.stringify(frame)}`);
}

/** Appends `n` events to each stream, one append per stream, pipelined; returns the streams in order. */
async function manyStreams(kit: KitContext, peer: RawPeer, prefix: string, names: readonly string[]): Promise<string[]> {
  const ids = names.map((name) => {
    const id = peer.id();
    peer.send({ type: 'append', id, stream: `${prefix}${name}`, events: [{ id: kit.eventId(), type: 'T' }] });
    return id;
  });
  for (const id of ids) {
    const answer = await peer.next((frame) => 'id' in frame && frame.id === id);
    assert.equal(answer.type, 'appended', `seeding: ${JSON.stringify(answer)}`);
  }
  return names.map((name) => `${prefix}${name}`);
}

/** A stream of 7 events: A x, B x, A y, A x, B y, A z, B x (type, key). */
async function mixed(kit: KitContext, peer: RawPeer, stream = kit.stream('mixed')): Promise<string> {
  const spec: [string, string][] = [['A', 'x'], ['B', 'x'], ['A', 'y'], ['A', 'x'], ['B', 'y'], ['A', 'z'], ['B', 'x']];
  await kit.appendOk(peer, stream, spec.map(([type, key], i) => ({ id: kit.eventId(), type, key, data: { n: i + 1 } })));
  return stream;
}

export const QUERIES_CASES: readonly ConformanceCase[] = [
  {
    section: '6.4.6',
    title: 'read pages forward and backward, next naming the last position examined',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 7);
      await expectPage(kit, peer, { stream, limit: 3 }, [1, 2, 3], { after: 3 }, 'forward from the start');
      await expectPage(kit, peer, { stream, from: { after: 3 }, limit: 3 }, [4, 5, 6], { after: 6 }, 'forward, next page');
      await expectPage(kit, peer, { stream, from: { after: 5 }, limit: 3 }, [6, 7], null, 'forward, the last page');
      await expectPage(kit, peer, { stream, direction: 'backward', limit: 3 }, [7, 6, 5], { before: 5 }, 'backward from the end');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { before: 3 }, limit: 3 }, [2, 1], null, 'backward, the last page');
    },
  },
  {
    section: '6.4.6',
    title: 'a forward page that ends exactly at the head has next null, for a stream and a pattern',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 6);
      await expectPage(kit, peer, { stream, limit: 6 }, [1, 2, 3, 4, 5, 6], null, 'the page reached the head');
      await expectPage(kit, peer, { stream, from: { after: 3 }, limit: 3 }, [4, 5, 6], null, 'a later page that reached the head');
      await expectPage(kit, peer, { stream, limit: 5 }, [1, 2, 3, 4, 5], { after: 5 }, 'one event short of the head');
      const prefix = kit.stream('pattern');
      const first = await kit.appendOk(peer, `${prefix}.a`, kit.events(2));
      const second = await kit.appendOk(peer, `${prefix}.b`, kit.events(2));
      const from = { after: first.positions[0]! - 1 };
      const whole = await page(kit, peer, { stream: `${prefix}.*`, from, limit: 4 });
      assert.deepEqual(whole.events.map((event) => event.pos), [...first.positions, ...second.positions], 'the pattern page holds the four events');
      assert.equal(whole.next, null, `a pattern page that ends at the head has next null, got ${JSON.stringify(whole.next)}`);
      const short = await page(kit, peer, { stream: `${prefix}.*`, from, limit: 3 });
      assert.deepEqual(short.next, { after: second.positions[0] }, 'a pattern page short of the head names its last pos');
    },
  },
  {
    section: '6.4.6',
    title: 'a backward page that reaches the first event of the selection has next null, for a stream and a pattern',
    async run(kit) {
      const peer = await kit.open();
      const { stream } = await kit.seeded(peer, 4);
      await expectPage(kit, peer, { stream, direction: 'backward', limit: 4 }, [4, 3, 2, 1], null, 'backward to seq 1');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { before: 3 }, limit: 2 }, [2, 1], null, 'backward to seq 1 from the middle');
      await expectPage(kit, peer, { stream, direction: 'backward', limit: 3 }, [4, 3, 2], { before: 2 }, 'one short of seq 1');
      const prefix = kit.stream('pattern');
      const a = await kit.appendOk(peer, `${prefix}.a`, kit.events(2));
      const b = await kit.appendOk(peer, `${prefix}.b`, kit.events(1));
      const back = await page(kit, peer, { stream: `${prefix}.*`, direction: 'backward', limit: 3 });
      assert.deepEqual(back.events.map((event) => event.pos), [b.positions[0], a.positions[1], a.positions[0]], 'the pattern read backward');
      assert.equal(back.next, null, `the page reached the pattern's first event (other streams come before it): next null, got ${JSON.stringify(back.next)}`);
      const short = await page(kit, peer, { stream: `${prefix}.*`, direction: 'backward', limit: 2 });
      assert.deepEqual(short.next, { before: a.positions[1] }, 'one short of the first event');
    },
  },
  {
    section: '6.4.6',
    title: 'a filtered read: next counts filtered-out events examined, and is null once the head is examined',
    async run(kit) {
      const peer = await kit.open();
      const stream = await mixed(kit, peer);
      await expectPage(kit, peer, { stream, filter: { types: ['A'] }, limit: 2 }, [1, 3], { after: 3 }, 'the page ends at its last event');
      await expectPage(kit, peer, { stream, filter: { types: ['A'] }, from: { after: 3 } }, [4, 6], null, 'the rest: seq 7 (a B) examined, the head reached');
      await expectPage(kit, peer, { stream, filter: { types: ['A'] }, from: { after: 3 }, limit: 2 }, [4, 6], { after: 6 }, 'full, with a B after it');
      await expectPage(kit, peer, { stream, filter: { keys: ['y'] }, direction: 'backward' }, [5, 3], null, 'backward, filtered, to the first event');
      await expectPage(kit, peer, { stream, filter: { types: ['B'], keys: ['x'] }, direction: 'backward', limit: 1 }, [7], { before: 7 }, 'backward, full');
      await expectPage(kit, peer, { stream, filter: { types: ['C'] } }, [], null, 'nothing matches: an empty page with next null');
      const prefix = kit.stream('fp');
      await mixed(kit, peer, `${prefix}.one`);
      const pattern = await page(kit, peer, { stream: `${prefix}.*`, filter: { types: ['B'] } });
      assert.deepEqual(pattern.events.map((event) => event.data), [{ n: 2 }, { n: 5 }, { n: 7 }], 'a filtered pattern read');
      assert.equal(pattern.next, null, 'and its next is null at the head');
    },
  },
  {
    section: '6.4.6',
    title: 'read forward from every start form: start, end, after, at, event, time',
    async run(kit) {
      const peer = await kit.open();
      const { stream, events } = await kit.seeded(peer, 5);
      await expectPage(kit, peer, { stream, from: 'start' }, [1, 2, 3, 4, 5], null, '"start"');
      await expectPage(kit, peer, { stream, from: 'end' }, [], null, '"end" forward is nothing of the past');
      await expectPage(kit, peer, { stream, from: { after: 0 } }, [1, 2, 3, 4, 5], null, '{after: 0} is "start"');
      await expectPage(kit, peer, { stream, from: { after: 2 } }, [3, 4, 5], null, '{after: 2}');
      await expectPage(kit, peer, { stream, from: { after: 9 } }, [], null, '{after} past the head');
      await expectPage(kit, peer, { stream, from: { at: 2 } }, [2, 3, 4, 5], null, '{at: 2} includes 2');
      await expectPage(kit, peer, { stream, from: { event: events[1]!.id } }, [3, 4, 5], null, '{event} starts right after it');
      const first = (await page(kit, peer, { stream, limit: 1 })).events[0]!;
      await expectPage(kit, peer, { stream, from: { time: first.recorded } }, [1, 2, 3, 4, 5], null, '{time} of the first event includes it');
      await expectPage(kit, peer, { stream, from: { time: Date.now() + 3_600_000 } }, [], null, '{time} after every event is "end"');
      const missing = await kit.ask(peer, { type: 'read', stream, from: { event: kit.eventId('missing') } });
      assert.equal(missing.type === 'error' && missing.code, 'not-found', `{event} not in the store: ${JSON.stringify(missing)}`);
      const other = await kit.seeded(peer, 1, 'other');
      const elsewhere = await kit.ask(peer, { type: 'read', stream, from: { event: other.events[0]!.id } });
      assert.equal(elsewhere.type === 'error' && elsewhere.code, 'not-found', `{event} of another stream: ${JSON.stringify(elsewhere)}`);
      const before = await kit.ask(peer, { type: 'read', stream, from: { before: 3 } });
      assert.equal(before.type === 'error' && before.code, 'bad-frame', `{before} forward: ${JSON.stringify(before)}`);
    },
  },
  {
    section: '6.4.6',
    title: 'read backward from every start form: end, start, before, at, event, time',
    async run(kit) {
      const peer = await kit.open();
      const { stream, events } = await kit.seeded(peer, 5);
      await expectPage(kit, peer, { stream, direction: 'backward' }, [5, 4, 3, 2, 1], null, 'the default, "end"');
      await expectPage(kit, peer, { stream, direction: 'backward', from: 'end' }, [5, 4, 3, 2, 1], null, '"end"');
      await expectPage(kit, peer, { stream, direction: 'backward', from: 'start' }, [], null, '"start" backward is an empty page');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { before: 4 } }, [3, 2, 1], null, '{before: 4} excludes 4');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { at: 4 } }, [4, 3, 2, 1], null, '{at: 4} includes 4');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { at: 40 } }, [5, 4, 3, 2, 1], null, '{at} past the head starts at the head');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { event: events[2]!.id } }, [2, 1], null, '{event} starts just before it');
      await expectPage(kit, peer, { stream, direction: 'backward', from: { time: Date.now() + 3_600_000 } }, [5, 4, 3, 2, 1], null, '{time} after every event is "end"');
      const after = await kit.ask(peer, { type: 'read', stream, direction: 'backward', from: { after: 2 } });
      assert.equal(after.type === 'error' && after.code, 'bad-frame', `{after} backward: ${JSON.stringify(after)}`);
    },
  },
  {
    section: '6.4.6',
    title: 'a stream that does not exist reads as an empty page with next null, both ways',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('nothing');
      await expectPage(kit, peer, { stream }, [], null, 'forward');
      await expectPage(kit, peer, { stream, direction: 'backward' }, [], null, 'backward');
      await expectPage(kit, peer, { stream: `${stream}.*` }, [], null, 'a pattern that matches nothing');
    },
  },
  {
    section: '6.4.7',
    title: 'surface gives the newest event of each key in seq order, keyless events left out, next null',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('surface');
      await kit.appendOk(peer, stream, [
        { id: kit.eventId(), type: 'P', key: 'a', data: 1 },
        { id: kit.eventId(), type: 'P', key: 'b', data: 2 },
        { id: kit.eventId(), type: 'P', key: 'a', data: 3 },
        { id: kit.eventId(), type: 'P', data: 4 },
        { id: kit.eventId(), type: 'P', key: 'c', data: 5 },
      ]);
      const answer = await kit.ask(peer, { type: 'surface', stream });
      assert.equal(answer.type, 'page', JSON.stringify(answer));
      const surface = answer;
      assert.deepEqual(surface.events.map((event) => [event.seq, event.key, event.data]), [[2, 'b', 2], [3, 'a', 3], [5, 'c', 5]], 'the newest of each key, in seq order');
      assert.equal(surface.next, null, 'a surface page has next null');
      const empty = await kit.ask(peer, { type: 'surface', stream: kit.stream('none') });
      assert.deepEqual(empty.type === 'page' && [empty.events, empty.next], [[], null], `a stream that does not exist: ${JSON.stringify(empty)}`);
    },
  },
  {
    section: '6.4.7',
    title: 'surface of a pattern, $all or * is bad-frame',
    async run(kit) {
      const peer = await kit.open();
      for (const stream of [`${kit.stream('p')}.*`, '$all', '*']) {
        const answer = await kit.ask(peer, { type: 'surface', stream });
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `surface ${stream}: ${JSON.stringify(answer)}`);
      }
    },
  },
  {
    section: '6.4.9',
    title: 'streams pages with prefix and after; next is null exactly when no stream follows',
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('list')}.`;
      const names = await manyStreams(kit, peer, prefix, ['a', 'b', 'c', 'd', 'e']);
      await manyStreams(kit, peer, prefix.slice(0, -1), ['-outside']);
      const first = await list(kit, peer, { prefix, limit: 2 });
      assert.deepEqual([first.streams.map((s) => s.stream), first.next], [names.slice(0, 2), names[1]], 'the first page names its last stream');
      const second = await list(kit, peer, { prefix, after: first.next, limit: 2 });
      assert.deepEqual([second.streams.map((s) => s.stream), second.next], [names.slice(2, 4), names[3]], 'after the first page');
      const last = await list(kit, peer, { prefix, after: second.next, limit: 2 });
      assert.deepEqual([last.streams.map((s) => s.stream), last.next], [names.slice(4), null], 'the last page');
      const full = await list(kit, peer, { prefix, limit: 5 });
      assert.deepEqual([full.streams.length, full.next], [5, null], `a full page with no stream after it has next null: ${JSON.stringify(full.next)}`);
      const fullLast = await list(kit, peer, { prefix, after: names[2], limit: 2 });
      assert.deepEqual([fullLast.streams.map((s) => s.stream), fullLast.next], [names.slice(3), null], 'a full last page after `after`');
      const between = await list(kit, peer, { prefix, after: `${prefix}bb` });
      assert.deepEqual(between.streams.map((s) => s.stream), names.slice(2), '`after` need not be a stream');
      const none = await list(kit, peer, { prefix: `${prefix}zz` });
      assert.deepEqual([none.streams, none.next], [[], null], 'no stream under a prefix');
    },
  },
  {
    section: '6.4.9',
    title: 'streams sort by code point (UTF-8 byte order), not by UTF-16 unit',
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('order')}.`;
      // By code point: Z (5A) < a (61) < é (E9) < ｚ (FF5A) < 😀 (1F600); in UTF-16, 😀 (D83D...) sorts before ｚ.
      await manyStreams(kit, peer, prefix, ['😀', 'ｚ', 'é', 'a', 'Z']);
      const answer = await list(kit, peer, { prefix });
      assert.deepEqual(answer.streams.map((s) => s.stream.slice(prefix.length)), ['Z', 'a', 'é', 'ｚ', '😀'], 'name order is code point order');
      const paged = await list(kit, peer, { prefix, after: `${prefix}ｚ` });
      assert.deepEqual(paged.streams.map((s) => s.stream.slice(prefix.length)), ['😀'], '`after` compares by code point too');
    },
  },
  {
    section: '6.5.9',
    title: 'a stream summary gives head, count, tx, lastPos and lastRecorded',
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('summary')}.`;
      const stream = `${prefix}one`;
      await kit.appendOk(peer, stream, kit.events(2));
      const last = await kit.appendOk(peer, stream, kit.events(1));
      const event = (await page(kit, peer, { stream, direction: 'backward', limit: 1 })).events[0]!;
      const [summary] = (await list(kit, peer, { prefix })).streams;
      assert.deepEqual(summary, { stream, head: 3, count: 3, tx: 2, lastPos: last.positions[0], lastRecorded: event.recorded }, 'the summary of a stream of 3 events in 2 appends');
    },
  },
  {
    section: '6.4.10',
    title: 'info answers server-info: the welcome server, version, heartbeat and limits, its stores and the head',
    async run(kit) {
      const peer = await kit.open();
      const { events } = await kit.seeded(peer, 2);
      const answer = await kit.ask(peer, { type: 'info' });
      assert.equal(answer.type, 'server-info', JSON.stringify(answer));
      const info = answer;
      assert.equal(info.server, kit.welcome.server, 'server as in welcome');
      assert.equal(info.version, 1, 'the version of this connection');
      assert.ok(info.versions.includes(1), 'versions lists 1');
      assert.equal(info.heartbeat, kit.heartbeatMs, 'heartbeat as in welcome');
      assert.deepEqual(info.limits, kit.limits, 'limits as in welcome');
      assert.ok(Array.isArray(info.stores) && info.stores.length > 0, `the kinds of store: ${JSON.stringify(info.stores)}`);
      assert.ok(info.head >= events[1]!.pos, `head is the newest position, at least the last append's (${events[1]!.pos}), got ${info.head}`);
      const json = await kit.open({ codec: 'json' });
      const again = await kit.ask(json, { type: 'info' });
      assert.ok(again.type === 'server-info' && again.head >= info.head, 'over JSON too, and the head never goes back');
    },
  },
  {
    section: '6.4.6',
    title: 'a read of $all or * gives every stream in pos order, positions and next in pos',
    async run(kit) {
      const peer = await kit.open();
      const a = await kit.appendOk(peer, kit.stream('all-a'), kit.events(2));
      const b = await kit.appendOk(peer, kit.stream('all-b'), kit.events(1));
      const from = { after: a.positions[0]! - 1 };
      for (const stream of ['$all', '*']) {
        const got = await page(kit, peer, { stream, from, limit: 2 });
        assert.deepEqual(got.events.map((event) => event.pos), a.positions, `${stream}: from the first event, in pos order`);
        assert.deepEqual(got.next, { after: a.positions[1] }, `${stream}: next is a pos`);
        const rest = await page(kit, peer, { stream, from: got.next, limit: 1 });
        assert.ok(rest.events[0] !== undefined && rest.events[0].pos >= b.positions[0]!, `${stream}: the next page goes on after it`);
      }
    },
  },
  {
    section: '6.4.9',
    title: 'streams with a prefix or after over 256 code points, or a limit of 0, is bad-frame',
    async run(kit) {
      const peer = await kit.open();
      for (const frame of [{ prefix: 'x'.repeat(257) }, { after: '😀'.repeat(257) }, { limit: 0 }, { limit: -1 }]) {
        const answer = await kit.ask(peer, { type: 'streams', ...frame });
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `streams ${JSON.stringify(frame).slice(0, 80)}: ${JSON.stringify(answer).slice(0, 200)}`);
      }
      const fits = await list(kit, peer, { prefix: '😀'.repeat(256), after: '😀'.repeat(256) });
      assert.deepEqual(fits.streams, [], '256 code points (1024 bytes) are allowed');
    },
  },
];
