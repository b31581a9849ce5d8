import assert from 'node:assert/strict';
import type { AssignedFrame, DeliverFrame, GroupInfo, ServerFrame, StoredEvent } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/*
 * Cases of SPEC.md 17 (consumer groups), run only against a server whose welcome lists the
 * "groups" feature. Each case makes groups and streams of its own (names new on each run), so
 * a server's groups from earlier runs do not matter. Timeouts are the smallest the spec allows
 * (ackTimeoutMs 100), and every wait is bounded.
 */

/** FNV-1a, 32 bits, over UTF-8: the kit's own copy of SPEC 17.4, not the server's. */
function fnv1a32(text: string): number {
  let hash = 2166136261;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 16777619);
  return hash >>> 0;
}

/** The partition of an event in a group of `partitions` partitions (SPEC 17.4). */
function partitionOf(event: Pick<StoredEvent, 'key' | 'stream'>, partitions: number): number {
  return fnv1a32(event.key ?? event.stream) % partitions;
}

/** Keys of every partition of `partitions`, `each` of each (k0, k1, ... as FNV-1a spreads them). */
function keysOver(partitions: number, each: number): string[] {
  const keys: string[] = [];
  const counts = new Array<number>(partitions).fill(0);
  for (let i = 0; keys.length < partitions * each; i += 1) {
    const part = fnv1a32(`k${i}`) % partitions;
    if (counts[part]! < each) {
      counts[part]! += 1;
      keys.push(`k${i}`);
    }
  }
  return keys;
}

/** A consume's fields beyond sub, group and stream. */
interface ConsumeOptions {
  credit?: number;
  partitions?: number;
  member?: string;
  filter?: unknown;
  from?: 'start' | 'end';
  maxUnacked?: number;
  ackTimeoutMs?: number;
  maxDeliveries?: number;
  leaseMs?: number;
}

/** Sends a `consume` (no answer comes for success but its `assigned`). */
function consume(kit: KitContext, peer: RawPeer, sub: number, group: string, stream: string, options: ConsumeOptions = {}): void {
  peer.send({ type: 'consume', sub, group, stream, ...options, credit: options.credit ?? Math.min(100, kit.limits.maxCredit) });
}

/** A group name no other case or run uses. */
function groupName(kit: KitContext, label = 'g'): string {
  return kit.stream(label);
}

/** The next frame of a subscription, whatever its type. */
function nextOf(peer: RawPeer, sub: number, timeoutMs = 5000): Promise<ServerFrame> {
  return peer.next((frame) => (frame as { sub?: number }).sub === sub, timeoutMs);
}

/** The next `assigned` of a subscription (an error of it fails the case). */
async function assigned(peer: RawPeer, sub: number, timeoutMs = 5000): Promise<AssignedFrame> {
  const frame = await peer.next((candidate) => (candidate.type === 'assigned' || candidate.type === 'error') && candidate.sub === sub, timeoutMs);
  if (frame.type !== 'assigned') throw new Error(`the group subscription ${sub} failed: ${JSON.stringify(frame)}`);
  return frame;
}

/** Takes `assigned` frames of a subscription until one satisfies `done` (SPEC 17.6: each lists every partition held). */
async function assignedUntil(peer: RawPeer, sub: number, done: (frame: AssignedFrame) => boolean, what: string, timeoutMs = 5000): Promise<AssignedFrame> {
  const deadline = Date.now() + timeoutMs;
  let last: AssignedFrame | undefined;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no assigned of sub ${sub} ${what} within ${timeoutMs} ms; the last was ${JSON.stringify(last)}`);
    last = await assigned(peer, sub, left).catch((error: unknown) => {
      throw new Error(`no assigned of sub ${sub} ${what}; the last was ${JSON.stringify(last)} (${String(error)})`);
    });
    if (done(last)) return last;
  }
}

/** Every partition 0..n-1 held, none revoking. */
function holdsAll(frame: AssignedFrame, partitions: number): boolean {
  return frame.parts.length === partitions && frame.parts.every((part, i) => part.part === i && part.revoking !== true);
}

/** A consume of a new group, until its member holds every partition; the generation of each. */
async function consumeAll(kit: KitContext, peer: RawPeer, sub: number, group: string, stream: string, options: ConsumeOptions = {}): Promise<Map<number, number>> {
  consume(kit, peer, sub, group, stream, options);
  const partitions = options.partitions ?? 16;
  const frame = await assignedUntil(peer, sub, (candidate) => holdsAll(candidate, partitions), `listing every partition of ${partitions}`);
  return new Map(frame.parts.map((part) => [part.part, part.gen]));
}

/** Takes `deliver` frames of a subscription until `count` events came; an error of the subscription fails the case. */
async function delivered(peer: RawPeer, sub: number, count: number, timeoutMs = 5000): Promise<DeliverFrame[]> {
  const frames: DeliverFrame[] = [];
  let events = 0;
  const deadline = Date.now() + timeoutMs;
  while (events < count) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${events} of ${count} events delivered to sub ${sub} within ${timeoutMs} ms: ${JSON.stringify(frames).slice(0, 400)}`);
    const frame = await peer.next((candidate) => (candidate.type === 'deliver' || candidate.type === 'error') && candidate.sub === sub, left);
    if (frame.type !== 'deliver') throw new Error(`the group subscription ${sub} failed: ${JSON.stringify(frame)}`);
    assert.equal(frame.deliveries.length, frame.events.length, `SPEC 17.8: deliveries has one count per event; got ${JSON.stringify(frame)}`);
    frames.push(frame);
    events += frame.events.length;
  }
  return frames;
}

/** The events of deliver frames, in the order they came, with their partition, gen and deliveries. */
function flatten(frames: readonly DeliverFrame[]): { event: StoredEvent; part: number; gen: number; deliveries: number }[] {
  return frames.flatMap((frame) => frame.events.map((event, i) => ({ event, part: frame.part, gen: frame.gen, deliveries: frame.deliveries[i]! })));
}

/** Proves that no `deliver` came for a subscription (a moment and a ping's round trip). */
async function assertNoDelivery(kit: KitContext, peer: RawPeer, sub: number, rule: string, waitMs = 300): Promise<void> {
  await kit.sleep(waitMs);
  await kit.roundTrip(peer);
  const frames = peer.pending().filter((frame) => frame.type === 'deliver' && frame.sub === sub);
  assert.deepEqual(frames, [], `${rule}; got ${JSON.stringify(frames).slice(0, 400)}`);
}

/** The group's description (`group-info`), failing the case on any other answer. */
async function groupInfo(kit: KitContext, peer: RawPeer, group: string): Promise<GroupInfo> {
  const answer = await kit.ask(peer, { type: 'group', group });
  if (answer.type !== 'group-info') throw new Error(`group ${group} is answered ${JSON.stringify(answer)}, not group-info`);
  return answer.group;
}

/** Asks `group` until the answer satisfies `done` (checkpoints are written in batches, SPEC 17.11: within 1 s; the kit waits 3 s). */
async function groupInfoUntil(kit: KitContext, peer: RawPeer, group: string, done: (info: GroupInfo) => boolean, what: string, timeoutMs = 3000): Promise<GroupInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await groupInfo(kit, peer, group);
    if (done(info)) return info;
    if (Date.now() >= deadline) throw new Error(`group-info did not show ${what} within ${timeoutMs} ms (SPEC 17.11); the last: ${JSON.stringify(info).slice(0, 800)}`);
    await kit.sleep(100);
  }
}

/** Appends events with these keys (`undefined`: no key) to a stream, and returns their seqs. */
async function appendKeyed(kit: KitContext, peer: RawPeer, stream: string, keys: readonly (string | undefined)[]): Promise<number[]> {
  const seqs: number[] = [];
  for (let from = 0; from < keys.length; from += Math.min(100, kit.limits.maxEventsPerAppend)) {
    const batch = keys.slice(from, from + Math.min(100, kit.limits.maxEventsPerAppend)).map((key, i) => ({
      id: kit.eventId('grp'),
      type: 'Tested',
      data: { n: from + i + 1 },
      ...(key === undefined ? {} : { key }),
    }));
    const ack = await kit.appendOk(peer, stream, batch);
    seqs.push(...ack.seqs);
  }
  return seqs;
}

/** The `assigned` frames of a subscription that arrived and are not yet taken. */
function pendingAssigned(peer: RawPeer, sub: number): AssignedFrame[] {
  return peer.pending().filter((frame): frame is AssignedFrame => frame.type === 'assigned' && frame.sub === sub);
}

/** Opens a plain hot subscription (SPEC 6.4.3). */
function subscribeTo(peer: RawPeer, sub: number, stream: string): void {
  peer.send({ type: 'subscribe', sub, stream, mode: 'hot', credit: 10 });
}

/** Expects an `error` with this sub and code, and returns it. */
async function subError(peer: RawPeer, sub: number, code: string, rule: string) {
  const frame = await peer.next((candidate) => candidate.type === 'error' && candidate.sub === sub);
  assert.equal(frame.type === 'error' && frame.code, code, `${rule}; got ${JSON.stringify(frame)}`);
  return frame as Extract<ServerFrame, { type: 'error' }>;
}

const needs = ['groups'] as const;

/** Cases of SPEC.md 17: consumer groups. */
export const GROUPS_CASES: readonly ConformanceCase[] = [
  {
    section: '17.1',
    title: 'server-info lists the features of welcome, and counts the groups',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('feat');
      await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1 });
      const info = await kit.ask(peer, { type: 'info' });
      if (info.type !== 'server-info') throw new Error(`info failed: ${JSON.stringify(info)}`);
      assert.deepEqual(info.features, kit.welcome.features, 'SPEC 6.5.10: server-info.features is welcome.features');
      assert.ok(typeof info.groups === 'number' && info.groups >= 1, `SPEC 6.5.10: server-info.groups counts the groups (one was just made); got ${JSON.stringify(info)}`);
    },
  },
  {
    section: '17.2',
    title: 'a group made with from "end" starts after the head: its checkpoints are the head, and only later events come',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('fromend');
      const old = await appendKeyed(kit, peer, stream, ['a', 'b', 'c']);
      const group = groupName(kit);
      await consumeAll(kit, peer, 1, group, stream, { partitions: 2, from: 'end' });
      const info = await groupInfo(kit, peer, group);
      assert.ok(info.partitionList.every((part) => part.checkpoint === old.at(-1)), `SPEC 17.2: from "end": every checkpoint is the head (${old.at(-1)}); got ${JSON.stringify(info.partitionList)}`);
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.2: nothing of the past');
      const later = await appendKeyed(kit, peer, stream, ['a', 'd']);
      const got = flatten(await delivered(peer, 1, 2));
      assert.deepEqual(got.map((one) => one.event.seq).sort((x, y) => x - y), later, 'SPEC 17.2: the events committed after the group was made');
    },
  },
  {
    section: '17.2',
    title: 'events the filter drops are not delivered, and count as done for the checkpoints',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('filt')}.`;
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, `${prefix}*`, { partitions: 2, filter: { types: ['Wanted'] } });
      const wanted: number[] = [];
      let last = 0;
      for (const [i, type] of ['Wanted', 'Other', 'Wanted', 'Other', 'Other'].entries()) {
        const ack = await kit.appendOk(peer, `${prefix}${i % 2}`, [{ id: kit.eventId('filt'), type, key: `k${i}` }]);
        if (type === 'Wanted') wanted.push(ack.positions[0]!);
        last = ack.positions[0]!;
      }
      const got = flatten(await delivered(peer, 1, wanted.length));
      assert.deepEqual(got.map((one) => one.event.pos).sort((x, y) => x - y), wanted, 'SPEC 17.2: only the events that pass the filter, by pos');
      await assertNoDelivery(kit, peer, 1, 'SPEC 5.9: filtered-out events are not delivered');
      for (const one of got) peer.send({ type: 'ack', sub: 1, part: one.part, gen: gens.get(one.part), pos: [one.event.pos] });
      await groupInfoUntil(
        kit,
        peer,
        group,
        (candidate) => candidate.partitionList.every((part) => part.checkpoint >= last),
        `every checkpoint at or past the pattern's last event (pos ${last}), filtered-out events done (SPEC 17.11)`,
      );
    },
  },
  {
    section: '17.3',
    title: 'consume is answered assigned first, naming the member given, or one the server made',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('first');
      await appendKeyed(kit, peer, stream, ['a', 'b', 'c']);
      const member = kit.eventId('member');
      consume(kit, peer, 1, groupName(kit), stream, { member });
      const first = await nextOf(peer, 1);
      assert.equal(first.type, 'assigned', `SPEC 17.3: a consume's first frame is assigned, before any deliver; got ${JSON.stringify(first)}`);
      assert.equal(first.type === 'assigned' && first.member, member, 'SPEC 17.6: assigned names the member of the consume');
      consume(kit, peer, 2, groupName(kit), stream);
      const second = await nextOf(peer, 2);
      assert.equal(second.type, 'assigned', `SPEC 17.3: a consume's first frame is assigned; got ${JSON.stringify(second)}`);
      assert.ok(second.type === 'assigned' && second.member.length > 0, 'SPEC 17.3: without member, the server makes one and names it');
    },
  },
  {
    section: '17.3',
    title: 'a consume that fails its schema is bad-frame with its sub; one reusing an open sub is protocol, and the open one goes on',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('checks');
      for (const fields of [{ partitions: 1025 }, { partitions: 0 }, { group: '$system' }, { ackTimeoutMs: 99 }]) {
        peer.send({ type: 'consume', sub: 5, group: groupName(kit), stream, credit: 1, ...fields });
        await subError(peer, 5, 'bad-frame', `SPEC 17.3: consume with ${JSON.stringify(fields)}`);
      }
      await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1 });
      consume(kit, peer, 1, groupName(kit), stream, { partitions: 1 });
      await subError(peer, 1, 'protocol', 'SPEC 17.3: sub already open');
      const [seq] = await appendKeyed(kit, peer, stream, ['k']);
      const [frame] = await delivered(peer, 1, 1);
      assert.equal(frame!.events[0]!.seq, seq, 'SPEC 6.5.11: the open group subscription goes on');
    },
  },
  {
    section: '17.3',
    title: 'a consume naming another selector, filter or partition count is group-mismatch; another from is ignored',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('mismatch');
      const group = groupName(kit);
      await consumeAll(kit, peer, 1, group, stream, { partitions: 4, filter: { types: ['A', 'B'] } });
      const others: ConsumeOptions[] = [{ partitions: 8, filter: { types: ['A', 'B'] } }, { partitions: 4 }, { partitions: 4, filter: { types: ['A'] } }];
      let sub = 2;
      for (const options of others) {
        consume(kit, peer, sub, group, stream, options);
        await subError(peer, sub, 'group-mismatch', `SPEC 17.2: ${JSON.stringify(options)} against partitions 4, types [A, B]`);
        sub += 1;
      }
      consume(kit, peer, sub, group, kit.stream('other'), { partitions: 4, filter: { types: ['A', 'B'] } });
      await subError(peer, sub, 'group-mismatch', 'SPEC 17.2: another selector');
      sub += 1;
      consume(kit, peer, sub, group, stream, { partitions: 4, filter: { types: ['A', 'B'] }, from: 'end' });
      const frame = await nextOf(peer, sub);
      assert.equal(frame.type, 'assigned', `SPEC 17.2: from is ignored once the group exists; got ${JSON.stringify(frame)}`);
    },
  },
  {
    section: '17.4',
    title: 'each event is delivered in the partition FNV-1a gives its key, or its stream when it has none',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('fnv')}.`;
      const keys = ['order-42', 'order-7', 'café', '😀', undefined, 'x', undefined, 'order-42'];
      let count = 0;
      for (const name of ['a', 'b', 'é']) {
        count += (await appendKeyed(kit, peer, `${prefix}${name}`, keys)).length;
      }
      for (const partitions of [16, 3]) {
        const sub = partitions;
        await consumeAll(kit, peer, sub, groupName(kit), `${prefix}*`, { partitions });
        for (const one of flatten(await delivered(peer, sub, count))) {
          assert.equal(
            one.part,
            partitionOf(one.event, partitions),
            `SPEC 17.4: ${one.event.key === undefined ? `stream ${one.event.stream} (no key)` : `key ${one.event.key}`} is in partition ${partitionOf(one.event, partitions)} of ${partitions}; delivered in ${one.part}`,
          );
        }
      }
    },
  },
  {
    section: '17.6',
    title: 'a single member holds every partition, each at its own generation, none revoking',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('single');
      const byDefault = await consumeAll(kit, peer, 1, groupName(kit), stream);
      assert.equal(byDefault.size, 16, 'SPEC 17.2: 16 partitions by default');
      const gens = await consumeAll(kit, peer, 2, groupName(kit), stream, { partitions: 5 });
      assert.deepEqual([...gens.keys()], [0, 1, 2, 3, 4]);
      for (const map of [byDefault, gens]) {
        const values = [...map.values()];
        assert.ok(values.every((gen) => gen >= 1), 'SPEC 17.5: generations are 1 or more');
        assert.equal(new Set(values).size, values.length, `SPEC 17.5: every change of owner takes a new generation; got ${JSON.stringify([...map])}`);
      }
    },
  },
  {
    section: '17.6',
    title: 'a second member gets its share once the first releases what the group revokes',
    needs,
    async run(kit) {
      const stream = kit.stream('release');
      const group = groupName(kit);
      const a = await kit.open();
      const b = await kit.open();
      const held = await consumeAll(kit, a, 1, group, stream, { partitions: 2, member: `a-${kit.run}` });
      consume(kit, b, 1, group, stream, { partitions: 2, member: `b-${kit.run}` });
      const firstOfB = await nextOf(b, 1);
      assert.equal(firstOfB.type, 'assigned', `SPEC 17.3: the first frame is assigned; got ${JSON.stringify(firstOfB)}`);
      const revoked = await assignedUntil(a, 1, (frame) => frame.parts.some((part) => part.revoking === true) || frame.parts.length === 1, 'with a partition revoking (or gone)');
      const revoking = revoked.parts.filter((part) => part.revoking === true);
      assert.ok(revoked.parts.length === 1 || revoking.length === 1, `SPEC 17.6: of 2 partitions over 2 members, the first keeps 1; got ${JSON.stringify(revoked)}`);
      for (const part of revoking) a.send({ type: 'release', sub: 1, part: part.part, gen: part.gen });
      const moved = revoking[0]?.part ?? [0, 1].find((part) => !revoked.parts.some((kept) => kept.part === part))!;
      // B's first assigned may list it already, when A had nothing of it outstanding (SPEC 17.6: freed at once).
      const ofB = firstOfB.type === 'assigned' && firstOfB.parts.length === 1 ? firstOfB : await assignedUntil(b, 1, (frame) => frame.parts.length === 1, 'with one partition');
      assert.equal(ofB.parts[0]!.part, moved, 'SPEC 17.6: B gets the partition A gave up');
      assert.ok(ofB.parts[0]!.gen > held.get(moved)!, 'SPEC 17.5: with a new generation');
      assert.notEqual(ofB.parts[0]!.revoking, true);
      const keeps = (frame: AssignedFrame) => frame.parts.length === 1 && frame.parts[0]!.revoking !== true;
      const ofA = keeps(revoked) ? revoked : await assignedUntil(a, 1, keeps, 'with its one partition, not revoking');
      assert.notEqual(ofA.parts[0]!.part, moved, 'SPEC 17.6: A keeps the other one');
    },
  },
  {
    section: '17.6',
    title: 'a revoking partition stays with its owner until it releases it; then the next owner gets what was not acknowledged',
    needs,
    async run(kit) {
      const stream = kit.stream('revoke');
      const group = groupName(kit);
      const a = await kit.open();
      const b = await kit.open();
      const keys = keysOver(2, 3);
      const seqs = await appendKeyed(kit, a, stream, keys);
      const held = await consumeAll(kit, a, 1, group, stream, { partitions: 2, member: `a-${kit.run}`, ackTimeoutMs: 60_000 });
      await delivered(a, 1, seqs.length);
      consume(kit, b, 1, group, stream, { partitions: 2, member: `b-${kit.run}`, ackTimeoutMs: 60_000 });
      const revoked = await assignedUntil(a, 1, (frame) => frame.parts.some((part) => part.revoking === true), 'with a partition revoking');
      assert.equal(revoked.parts.length, 2, `SPEC 17.6: a revoking partition is still held; got ${JSON.stringify(revoked)}`);
      const revoking = revoked.parts.find((part) => part.revoking === true)!;
      assert.equal(revoking.gen, held.get(revoking.part), 'SPEC 17.6: at the same generation');
      await assertNoDelivery(kit, b, 1, 'SPEC 17.6: nothing of a partition its owner has not released goes to another member');
      const ofBBefore = pendingAssigned(b, 1);
      assert.ok(ofBBefore.every((frame) => frame.parts.length === 0), `SPEC 17.6: B holds nothing while A holds both; got ${JSON.stringify(ofBBefore)}`);
      a.send({ type: 'release', sub: 1, part: revoking.part, gen: revoking.gen });
      const ofB = await assignedUntil(b, 1, (frame) => frame.parts.length === 1, 'with the released partition');
      assert.equal(ofB.parts[0]!.part, revoking.part, 'SPEC 17.7: the released partition goes to B');
      assert.ok(ofB.parts[0]!.gen > revoking.gen, 'SPEC 17.5: at a new generation');
      const mine = seqs.filter((_, i) => partitionOf({ key: keys[i], stream }, 2) === revoking.part);
      const got = flatten(await delivered(b, 1, mine.length));
      assert.deepEqual(got.map((one) => one.event.seq), mine, 'SPEC 17.7: what A had not acknowledged goes to B, in order');
      a.send({ type: 'ack', sub: 1, part: revoking.part, gen: revoking.gen, pos: mine });
      await subError(a, 1, 'fenced', 'SPEC 17.7: an ack of a released partition');
    },
  },
  {
    section: '17.7',
    title: 'an ack with neither pos nor upTo, or a nack with both retryMs and park, is bad-frame with its sub, and changes nothing',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('badack');
      const seqs = await appendKeyed(kit, peer, stream, ['k', 'k']);
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, stream, { partitions: 1, ackTimeoutMs: 60_000 });
      await delivered(peer, 1, 2);
      const gen = gens.get(0);
      peer.send({ type: 'ack', sub: 1, part: 0, gen });
      await subError(peer, 1, 'bad-frame', 'SPEC 17.7: an ack names pos, upTo or both');
      peer.send({ type: 'nack', sub: 1, part: 0, gen, pos: seqs[0], retryMs: 0, park: 'both' });
      await subError(peer, 1, 'bad-frame', 'SPEC 17.7: a nack has retryMs or park, not both');
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.7: the refused nack delivers nothing again');
      const info = await groupInfo(kit, peer, group);
      assert.equal(info.parked, 0, 'SPEC 17.7: the refused nack parks nothing');
      peer.send({ type: 'ack', sub: 1, part: 0, gen, upTo: seqs[1] });
      await groupInfoUntil(kit, peer, group, (candidate) => candidate.partitionList[0]!.checkpoint === seqs[1], 'the checkpoint at the head: the subscription went on');
    },
  },
  {
    section: '17.7',
    title: 'ack, nack and release naming a sub that is no open group subscription are fenced with their part and gen',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('nosub');
      const frames = [
        { type: 'ack', sub: 40, part: 0, gen: 1, upTo: 5 },
        { type: 'nack', sub: 41, part: 2, gen: 3, pos: 5 },
        { type: 'release', sub: 42, part: 1, gen: 7 },
      ];
      for (const frame of frames) {
        peer.send(frame);
        const error = await subError(peer, frame.sub, 'fenced', `SPEC 17.7: ${frame.type} of a sub never opened`);
        assert.deepEqual({ part: error.details?.['part'], gen: error.details?.['gen'] }, { part: frame.part, gen: frame.gen }, `SPEC 17.7: details {part, gen}; got ${JSON.stringify(error)}`);
      }
      subscribeTo(peer, 43, stream);
      await peer.expect('caught-up', { sub: 43 });
      peer.send({ type: 'ack', sub: 43, part: 0, gen: 1, upTo: 1 });
      await subError(peer, 43, 'fenced', 'SPEC 17.7: an ack of a plain subscription');
      const [seq] = await appendKeyed(kit, peer, stream, ['k']);
      const events = await peer.expect('events', { sub: 43 });
      assert.equal(events.events[0]!.seq, seq, 'the plain subscription goes on');
    },
  },
  {
    section: '17.7',
    title: 'after a reconnect the member holds new generations, and an ack with an old one is fenced; the subscription goes on',
    needs,
    async run(kit) {
      const stream = kit.stream('fence');
      const group = groupName(kit);
      const member = kit.eventId('member');
      const first = await kit.open();
      const before = await consumeAll(kit, first, 1, group, stream, { partitions: 2, member });
      first.close();
      await first.waitClosed();
      const second = await kit.open();
      const after = await consumeAll(kit, second, 1, group, stream, { partitions: 2, member });
      for (const part of [0, 1]) {
        assert.ok(after.get(part)! > before.get(part)!, `SPEC 17.5: a new ownership takes a higher generation; partition ${part} was ${before.get(part)}, is ${after.get(part)}`);
      }
      const [seq] = await appendKeyed(kit, second, stream, [undefined]);
      const [frame] = await delivered(second, 1, 1);
      const part = frame!.part;
      second.send({ type: 'ack', sub: 1, part, gen: before.get(part), pos: [seq] });
      const fenced = await subError(second, 1, 'fenced', 'SPEC 17.7: an ack with a generation the member no longer holds');
      assert.deepEqual(
        { part: fenced.details?.['part'], gen: fenced.details?.['gen'] },
        { part, gen: before.get(part) },
        `SPEC 17.7: fenced names the part and gen of the refused frame; got ${JSON.stringify(fenced)}`,
      );
      second.send({ type: 'ack', sub: 1, part, gen: after.get(part), pos: [seq] });
      const [next] = await appendKeyed(kit, second, stream, [undefined]);
      const [live] = flatten(await delivered(second, 1, 1));
      assert.equal(live!.event.seq, next, 'SPEC 17.7: fenced does not end the group subscription');
    },
  },
  {
    section: '17.8',
    title: 'deliver frames hold one partition each, in position order, every event once, deliveries 1',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('order');
      const keys = Array.from({ length: 40 }, (_, i) => `k${i % 7}`);
      const seqs = await appendKeyed(kit, peer, stream, keys);
      const gens = await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 4, credit: Math.min(100, kit.limits.maxCredit) });
      const got = flatten(await delivered(peer, 1, seqs.length));
      assert.deepEqual(got.map((one) => one.event.seq).sort((a, b) => a - b), seqs, 'SPEC 17.8: every event of the group, once, no gap');
      for (const part of [0, 1, 2, 3]) {
        const mine = got.filter((one) => one.part === part).map((one) => one.event.seq);
        assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `SPEC 17.8: partition ${part}'s events in position order`);
      }
      for (const one of got) {
        assert.equal(one.deliveries, 1, `SPEC 17.8: a first delivery counts 1; got ${JSON.stringify(one)}`);
        assert.equal(one.gen, gens.get(one.part), 'SPEC 17.8: deliver carries the generation of assigned');
      }
      await assertNoDelivery(kit, peer, 1, 'nothing more: every event was delivered once');
    },
  },
  {
    section: '17.8',
    title: 'credit bounds deliveries, first and again alike',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('credit');
      const seqs = await appendKeyed(kit, peer, stream, Array.from({ length: 10 }, () => 'k'));
      const gens = await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1, credit: 3 });
      const first = flatten(await delivered(peer, 1, 3));
      assert.deepEqual(first.map((one) => one.event.seq), seqs.slice(0, 3));
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), upTo: seqs[2] });
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.8: credit 3 is 3 events, acknowledged or not');
      peer.send({ type: 'credit', sub: 1, n: 2 });
      const next = flatten(await delivered(peer, 1, 2));
      assert.deepEqual(next.map((one) => one.event.seq), seqs.slice(3, 5), 'SPEC 17.8: 2 more for credit 2');
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.8: credit 2 is 2 events');
    },
  },
  {
    section: '17.8',
    title: 'maxUnacked bounds the events delivered and not acknowledged, whatever the credit',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('unacked');
      const seqs = await appendKeyed(kit, peer, stream, Array.from({ length: 10 }, () => 'k'));
      const gens = await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1, maxUnacked: 3, ackTimeoutMs: 60_000 });
      const first = flatten(await delivered(peer, 1, 3));
      assert.deepEqual(first.map((one) => one.event.seq), seqs.slice(0, 3));
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.8: maxUnacked 3 is 3 outstanding events');
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[0], seqs[1]] });
      const next = flatten(await delivered(peer, 1, 2));
      assert.deepEqual(next.map((one) => one.event.seq), seqs.slice(3, 5), 'SPEC 17.8: two acknowledged, two more');
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.8: 3 outstanding again');
    },
  },
  {
    section: '17.9',
    title: 'the oldest event not acknowledged within ackTimeoutMs is delivered again, alone, and then the next, in order, with deliveries 2',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('redeliver');
      const seqs = await appendKeyed(kit, peer, stream, ['k', 'k', 'k', 'k', 'k']);
      const gens = await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1, ackTimeoutMs: 100 });
      const first = flatten(await delivered(peer, 1, 5));
      assert.deepEqual(first.map((one) => one.event.seq), seqs);
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[0], seqs[1]] });
      const again = flatten(await delivered(peer, 1, 1, 3000));
      assert.deepEqual(again.map((one) => [one.event.seq, one.deliveries]), [[seqs[2], 2]], `SPEC 17.9: the late event (the oldest outstanding) again, alone; got ${JSON.stringify(again.map((one) => [one.event.seq, one.deliveries]))}`);
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[2]] });
      const next = flatten(await delivered(peer, 1, 1, 3000));
      assert.deepEqual(next.map((one) => [one.event.seq, one.deliveries]), [[seqs[3], 2]], `SPEC 17.9: then the next oldest, once it is late in its turn; got ${JSON.stringify(next.map((one) => [one.event.seq, one.deliveries]))}`);
    },
  },
  {
    section: '17.9',
    title: 'a nack with retryMs delivers the event again no sooner than retryMs, deliveries 2',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('nack');
      const seqs = await appendKeyed(kit, peer, stream, ['k', 'k']);
      const gens = await consumeAll(kit, peer, 1, groupName(kit), stream, { partitions: 1, ackTimeoutMs: 60_000 });
      await delivered(peer, 1, 2);
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[1]] });
      const nacked = Date.now();
      peer.send({ type: 'nack', sub: 1, part: 0, gen: gens.get(0), pos: seqs[0], retryMs: 400 });
      const [again] = flatten(await delivered(peer, 1, 1, 3000));
      const waited = Date.now() - nacked;
      assert.equal(again!.event.seq, seqs[0], 'SPEC 17.7: the nacked event comes again');
      assert.equal(again!.deliveries, 2, 'SPEC 17.8: its second delivery');
      assert.ok(waited >= 350, `SPEC 17.7: no sooner than retryMs (400 ms); it came after ${waited} ms`);
    },
  },
  {
    section: '17.9',
    title: 'a nack with park parks the event: group-info counts it, and the partition goes on',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('park');
      const seqs = await appendKeyed(kit, peer, stream, ['k', 'k', 'k']);
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, stream, { partitions: 1, ackTimeoutMs: 60_000 });
      await delivered(peer, 1, 3);
      peer.send({ type: 'nack', sub: 1, part: 0, gen: gens.get(0), pos: seqs[1], park: 'conformance: parked on purpose' });
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[0], seqs[2]] });
      const info = await groupInfoUntil(kit, peer, group, (candidate) => candidate.partitionList[0]?.checkpoint === seqs[2], `the checkpoint past the parked event (${seqs[2]})`);
      assert.equal(info.parked, 1, 'SPEC 17.12: the group counts its parked event');
      assert.equal(info.partitionList[0]!.parked, 1, 'SPEC 17.12: its partition counts it');
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.9: a parked event is not delivered again');
    },
  },
  {
    section: '17.9',
    title: 'an event delivered maxDeliveries times without an ack is parked, and not delivered again',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('maxdel');
      const [seq] = await appendKeyed(kit, peer, stream, ['k']);
      const group = groupName(kit);
      await consumeAll(kit, peer, 1, group, stream, { partitions: 1, ackTimeoutMs: 100, maxDeliveries: 2 });
      const got = flatten(await delivered(peer, 1, 2, 3000));
      assert.deepEqual(got.map((one) => [one.event.seq, one.deliveries]), [[seq, 1], [seq, 2]], 'SPEC 17.9: delivered, then delivered again after ackTimeoutMs');
      await groupInfoUntil(
        kit,
        peer,
        group,
        (candidate) => candidate.parked === 1 && candidate.partitionList[0]!.checkpoint === seq,
        `the event parked, and the checkpoint past it (${seq}): a parked event is done (SPEC 17.9)`,
      );
      await assertNoDelivery(kit, peer, 1, 'SPEC 17.9: no third delivery of maxDeliveries 2');
    },
  },
  {
    section: '17.10',
    title: 'replay-parked is answered replaying and delivers the parked event again; acknowledged, it is parked no more',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('replay');
      const seqs = await appendKeyed(kit, peer, stream, ['k', 'k']);
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, stream, { partitions: 1, ackTimeoutMs: 60_000 });
      await delivered(peer, 1, 2);
      peer.send({ type: 'nack', sub: 1, part: 0, gen: gens.get(0), pos: seqs[0], park: 'conformance' });
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), pos: [seqs[1]] });
      await groupInfoUntil(kit, peer, group, (candidate) => candidate.parked === 1, 'the event parked');
      const answer = await kit.ask(peer, { type: 'replay-parked', group });
      assert.deepEqual(answer, { type: 'replaying', id: (answer as { id: number }).id, group, parked: 1 }, 'SPEC 17.10: replaying counts what was parked');
      const [again] = flatten(await delivered(peer, 1, 1, 3000));
      assert.equal(again!.event.seq, seqs[0], 'SPEC 17.10: the parked event is delivered again');
      assert.equal(again!.deliveries, 1, 'SPEC 17.10: a replayed event counts its deliveries from 1 again');
      peer.send({ type: 'ack', sub: 1, part: 0, gen: again!.gen, pos: [seqs[0]] });
      await groupInfoUntil(kit, peer, group, (candidate) => candidate.parked === 0, 'no event parked once the replayed one is acknowledged');
      const missing = await kit.ask(peer, { type: 'replay-parked', group: groupName(kit, 'none') });
      assert.equal(missing.type === 'error' && missing.code, 'not-found', `SPEC 17.10: replay-parked of no group; got ${JSON.stringify(missing)}`);
    },
  },
  {
    section: '17.11',
    title: 'acknowledgements move the checkpoints to the head, and group-info shows them with lag 0',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('ckpt');
      const seqs = await appendKeyed(kit, peer, stream, Array.from({ length: 12 }, (_, i) => `k${i % 5}`));
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, stream, { partitions: 3 });
      const before = await groupInfo(kit, peer, group);
      assert.equal(before.head, seqs.at(-1), "SPEC 17.12: head is the stream's last seq");
      const frames = await delivered(peer, 1, seqs.length);
      for (const frame of frames) peer.send({ type: 'ack', sub: 1, part: frame.part, gen: gens.get(frame.part), upTo: frame.events.at(-1)!.seq });
      const head = seqs.at(-1)!;
      const info = await groupInfoUntil(kit, peer, group, (candidate) => candidate.partitionList.every((part) => part.checkpoint === head), `every checkpoint at the head (${head})`);
      assert.equal(info.lag, 0, 'SPEC 17.12: lag is head - checkpoint');
      assert.ok(info.partitionList.every((part) => part.lag === 0 && part.head === head), `SPEC 17.12: lag 0 per partition; got ${JSON.stringify(info.partitionList)}`);
    },
  },
  {
    section: '17.11',
    title: 'durable: a consume after the member unsubscribed goes on after the last event acknowledged',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('durable');
      const seqs = await appendKeyed(kit, peer, stream, Array.from({ length: 10 }, () => 'k'));
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, stream, { partitions: 1, credit: 5 });
      const first = flatten(await delivered(peer, 1, 5));
      assert.deepEqual(first.map((one) => one.event.seq), seqs.slice(0, 5));
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), upTo: seqs[4] });
      peer.send({ type: 'unsubscribe', sub: 1 });
      await kit.roundTrip(peer);
      const again = await kit.open();
      await consumeAll(kit, again, 1, group, stream, { partitions: 1 });
      const rest = flatten(await delivered(again, 1, 5));
      assert.deepEqual(rest.map((one) => one.event.seq), seqs.slice(5), 'SPEC 17.11: from just after the checkpoint, nothing acknowledged again and nothing skipped');
      assert.ok(rest.every((one) => one.deliveries === 1));
    },
  },
  {
    section: '17.12',
    title: 'a pattern group done with its events has lag 0, also when other streams moved the store head on',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const prefix = `${kit.stream('lag')}.`;
      const group = groupName(kit);
      const gens = await consumeAll(kit, peer, 1, group, `${prefix}*`, { partitions: 1 });
      const ack = await kit.appendOk(peer, `${prefix}a`, kit.events(2));
      await kit.appendOk(peer, kit.stream('elsewhere'), kit.events(1));
      await delivered(peer, 1, 2);
      peer.send({ type: 'ack', sub: 1, part: 0, gen: gens.get(0), upTo: ack.positions[1] });
      await groupInfoUntil(
        kit,
        peer,
        group,
        (candidate) => candidate.lag === 0 && candidate.partitionList[0]!.checkpoint >= candidate.head,
        'lag 0: the checkpoint at the store head, the last position examined (SPEC 17.11: other streams count as examined, as for caught-up.at, 6.5.5)',
      );
    },
  },
  {
    section: '17.12',
    title: 'groups lists the group, group describes it, and a group that does not exist is not-found',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('list');
      const group = groupName(kit);
      const member = kit.eventId('member');
      await consumeAll(kit, peer, 1, group, stream, { partitions: 3, member });
      const list = await kit.ask(peer, { type: 'groups' });
      if (list.type !== 'group-list') throw new Error(`groups is answered ${JSON.stringify(list)}`);
      const names = list.groups.map((summary) => summary.group);
      assert.deepEqual(names, [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)), 'SPEC 17.12: in name order');
      const summary = list.groups.find((candidate) => candidate.group === group);
      assert.deepEqual(summary, { group, stream, partitions: 3, members: 1, lag: 0, parked: 0 }, 'SPEC 17.12: the summary of the new group');
      const info = await groupInfo(kit, peer, group);
      assert.deepEqual(info.memberList.map((one) => [one.member, one.parts]), [[member, [0, 1, 2]]]);
      assert.deepEqual(info.partitionList.map((part) => [part.part, part.owner]), [[0, member], [1, member], [2, member]]);
      const missing = await kit.ask(peer, { type: 'group', group: groupName(kit, 'none') });
      assert.equal(missing.type === 'error' && missing.code, 'not-found', `SPEC 17.12: group of no group; got ${JSON.stringify(missing)}`);
    },
  },
];
