import assert from 'node:assert/strict';
import type { ProjectionSummary, ServerFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import { KIT_PROJECTION } from '../kit/run-cases.js';
import type { RawPeer } from '../raw-peer.js';

/*
 * Cases of SPEC.md 18 (projections), run only against a server whose welcome lists the
 * "projections" feature. They need the server to run the kit's projection (docs/testing.md):
 *
 *   name "kit-counts", selector "$all", keyed by event type, the value of a key the number of
 *   events of that type (a keyed count, initial 0, +1 per event).
 *
 * Each case counts event types of its own (names new on each run), so events of other runs and
 * other users do not change what it expects. Waits for a projection to catch up use atLeast with
 * the 3 s SPEC 18.5 allows; every wait is bounded.
 */

/** The projection the kit needs the server under test to run (kept by the kit, which skips these cases without it). */
export { KIT_PROJECTION };

/** How long the kit lets a projection take to include a position (SPEC 18.5: "the kit allows 3 s"). */
const CATCH_UP_MS = 3000;

const needs = ['projections'] as const;

/** A type no other case or run uses: a key of kit-counts of this case alone. */
function typeName(kit: KitContext, label = 'T'): string {
  return kit.stream(`proj-${label}`);
}

/** Appends `count` events of `type` to a fresh stream; the pos of the last (kit-counts projects `$all`). */
async function appendTyped(kit: KitContext, peer: RawPeer, type: string, count: number): Promise<number> {
  const ack = await kit.appendOk(peer, kit.stream('proj'), Array.from({ length: count }, () => ({ id: kit.eventId('proj'), type })));
  return ack.positions.at(-1)!;
}

/** Asks, and fails the case unless the answer is of `type`. */
async function askFor<T extends ServerFrame['type']>(kit: KitContext, peer: RawPeer, frame: Record<string, unknown>, type: T): Promise<Extract<ServerFrame, { type: T }>> {
  const waits = typeof frame['timeoutMs'] === 'number' ? frame['timeoutMs'] : CATCH_UP_MS;
  const answer = await kit.ask(peer, frame, waits + 5000);
  if (answer.type !== type) throw new Error(`${JSON.stringify(frame)} is answered ${JSON.stringify(answer)}, not ${type}`);
  return answer as Extract<ServerFrame, { type: T }>;
}

/** kit-counts' value of `type`, once its state includes `atLeast`. */
function countOf(kit: KitContext, peer: RawPeer, type: string, atLeast: number) {
  return askFor(kit, peer, { type: 'projection', name: KIT_PROJECTION, key: type, atLeast, timeoutMs: CATCH_UP_MS }, 'projection-state');
}

/** The kit's projection in the server's list; fails the case when it is not there. */
async function kitSummary(kit: KitContext, peer: RawPeer): Promise<ProjectionSummary> {
  const list = await askFor(kit, peer, { type: 'projections' }, 'projection-list');
  const summary = list.projections.find((one) => one.name === KIT_PROJECTION);
  if (summary === undefined) throw new Error(`the server runs no "${KIT_PROJECTION}" projection (docs/testing.md: the kit needs it); it runs ${JSON.stringify(list.projections.map((one) => one.name))}`);
  return summary;
}

/** The next frame of a subscription, whatever its type. */
function nextOf(peer: RawPeer, sub: number, timeoutMs = 5000): Promise<ServerFrame> {
  return peer.next((frame) => (frame as { sub?: number }).sub === sub, timeoutMs);
}

export const PROJECTIONS_CASES: readonly ConformanceCase[] = [
  {
    section: '18.1',
    title: 'server-info lists the projections feature as welcome does',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const info = await askFor(kit, peer, { type: 'info' }, 'server-info');
      assert.deepEqual(info.features, kit.welcome.features, 'SPEC 6.5.10: server-info.features is welcome.features');
      assert.ok(info.features?.includes('projections'), 'SPEC 18.1: the feature is "projections"');
    },
  },
  {
    section: '18.4',
    title: 'projections lists the projections in name order, each with its selector, status, checkpoint and lag',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const list = await askFor(kit, peer, { type: 'projections' }, 'projection-list');
      const names = list.projections.map((one) => one.name);
      assert.deepEqual(names, [...names].sort(byCodePoint), 'SPEC 18.4: in name order, by code point');
      for (const one of list.projections) {
        assert.equal(one.lag, Math.max(0, one.head - one.checkpoint), `SPEC 18.2: lag is head - checkpoint, at least 0; got ${JSON.stringify(one)}`);
        assert.equal(one.error !== undefined, one.status === 'failed' && one.error !== undefined, `SPEC 18.2: error only when failed; got ${JSON.stringify(one)}`);
      }
      const counts = await kitSummary(kit, peer);
      assert.equal(counts.stream, '$all', `the kit's projection selects $all (docs/testing.md); got ${JSON.stringify(counts)}`);
      assert.equal(counts.keyed, true, `the kit's projection is keyed (docs/testing.md); got ${JSON.stringify(counts)}`);
    },
  },
  {
    section: '18.5',
    title: 'a projection read with atLeast an append\'s position includes that append (read-your-writes)',
    needs,
    async run(kit) {
      const peer = await kit.open();
      await kitSummary(kit, peer);
      const type = typeName(kit);
      const first = await appendTyped(kit, peer, type, 2);
      const state = await countOf(kit, peer, type, first);
      assert.ok(state.checkpoint >= first, `SPEC 18.5: the state's checkpoint is at or past atLeast (${first}); got ${JSON.stringify(state)}`);
      assert.deepEqual({ key: state.key, found: state.found, value: state.value }, { key: type, found: true, value: 2 }, 'SPEC 18.5: both events are in the state');
      const last = await appendTyped(kit, peer, type, 1);
      const again = await countOf(kit, peer, type, last);
      assert.equal(again.value, 3, `SPEC 18.5: the third event is in the state read at least at its pos ${last}; got ${JSON.stringify(again)}`);
    },
  },
  {
    section: '18.5',
    title: 'a key without a value is answered found false, without value',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const state = await askFor(kit, peer, { type: 'projection', name: KIT_PROJECTION, key: typeName(kit, 'none') }, 'projection-state');
      assert.equal(state.found, false, 'SPEC 18.5: found is false');
      assert.equal('value' in state, false, `SPEC 18.5: no value; got ${JSON.stringify(state)}`);
    },
  },
  {
    section: '18.5',
    title: 'an atLeast the projection does not reach within timeoutMs is answered timeout with its checkpoint',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const summary = await kitSummary(kit, peer);
      const beyond = summary.head + 1_000_000_000;
      const answer = await kit.ask(peer, { type: 'projection', name: KIT_PROJECTION, key: typeName(kit), atLeast: beyond, timeoutMs: 100 }, 5000);
      assert.equal(answer.type === 'error' && answer.code, 'timeout', `SPEC 18.5: timeout; got ${JSON.stringify(answer)}`);
      const details = answer.type === 'error' ? answer.details : undefined;
      assert.ok(typeof details?.['checkpoint'] === 'number' && details['checkpoint'] < beyond, `SPEC 18.5: details.checkpoint says where it is; got ${JSON.stringify(answer)}`);
    },
  },
  {
    section: '18.5',
    title: 'a projection the server does not run is not-found, for every frame of the section',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const name = typeName(kit, 'nobody');
      for (const frame of [
        { type: 'projection', name },
        { type: 'projection-entries', name },
        { type: 'rebuild-projection', name },
      ]) {
        const answer = await kit.ask(peer, frame);
        assert.equal(answer.type === 'error' && answer.code, 'not-found', `SPEC 18.5: ${frame.type} of no projection; got ${JSON.stringify(answer)}`);
      }
      peer.send({ type: 'watch-projection', sub: 1, name });
      const refused = await nextOf(peer, 1);
      assert.equal(refused.type === 'error' && refused.code, 'not-found', `SPEC 18.6: a watch of no projection; got ${JSON.stringify(refused)}`);
    },
  },
  {
    section: '18.6',
    title: 'a watch says projection-watching first, then the changes committed after it, until unsubscribed',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const type = typeName(kit);
      const before = await appendTyped(kit, peer, type, 1);
      await countOf(kit, peer, type, before);
      peer.send({ type: 'watch-projection', sub: 1, name: KIT_PROJECTION, key: type });
      const watching = await nextOf(peer, 1);
      assert.equal(watching.type, 'projection-watching', `SPEC 18.6: a watch's first frame; got ${JSON.stringify(watching)}`);
      const pos = await appendTyped(kit, peer, type, 1);
      const changed = await peer.next((frame) => frame.type === 'projection-changed' && frame.sub === 1 && frame.checkpoint >= pos, CATCH_UP_MS + 2000);
      assert.ok(changed.type === 'projection-changed', 'a change');
      assert.deepEqual({ name: changed.name, key: changed.key, value: changed.value }, { name: KIT_PROJECTION, key: type, value: 2 }, 'SPEC 18.6: the key\'s new value');
      peer.send({ type: 'unsubscribe', sub: 1 });
      await kit.roundTrip(peer);
      const after = await appendTyped(kit, peer, type, 1);
      await countOf(kit, peer, type, after);
      await kit.roundTrip(peer);
      const late = peer.pending().filter((frame) => frame.type === 'projection-changed' && frame.sub === 1 && frame.checkpoint >= after);
      assert.deepEqual(late, [], 'SPEC 18.6: nothing of a watch after its unsubscribe');
    },
  },
  {
    section: '18.6',
    title: 'a watch of every key sees the changes of keys it did not name, each key in order',
    needs,
    async run(kit) {
      const peer = await kit.open();
      peer.send({ type: 'watch-projection', sub: 2, name: KIT_PROJECTION });
      const watching = await nextOf(peer, 2);
      assert.equal(watching.type, 'projection-watching', `SPEC 18.6: a watch's first frame; got ${JSON.stringify(watching)}`);
      const a = typeName(kit, 'a');
      const b = typeName(kit, 'b');
      await appendTyped(kit, peer, a, 1);
      await appendTyped(kit, peer, b, 1);
      const last = await appendTyped(kit, peer, a, 1);
      const seen = new Map<string, number[]>();
      const deadline = Date.now() + CATCH_UP_MS + 2000;
      let lastCheckpoint = -1;
      while ((seen.get(a)?.at(-1) ?? 0) < 2 || !seen.has(b)) {
        const frame = await peer.next((candidate) => candidate.type === 'projection-changed' && candidate.sub === 2, Math.max(1, deadline - Date.now()));
        if (frame.type !== 'projection-changed') continue;
        assert.ok(frame.checkpoint >= lastCheckpoint, `SPEC 18.6: a watch's checkpoints do not decrease; ${frame.checkpoint} after ${lastCheckpoint}`);
        lastCheckpoint = frame.checkpoint;
        if (frame.key === a || frame.key === b) seen.set(frame.key, [...(seen.get(frame.key) ?? []), frame.value as number]);
      }
      assert.ok(lastCheckpoint >= last, 'the last change of a is at or past its pos');
      const valuesOfA = seen.get(a)!;
      assert.deepEqual(valuesOfA, [...valuesOfA].sort((x, y) => x - y), `SPEC 18.6: a key's changes in commit order; got ${JSON.stringify(valuesOfA)}`);
      assert.equal(valuesOfA.at(-1), 2, 'SPEC 18.6: the last change of a key is its newest value');
      peer.send({ type: 'unsubscribe', sub: 2 });
    },
  },
  {
    section: '18.6',
    title: 'a watch-projection of a sub already open is protocol, and the open watch goes on',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const type = typeName(kit);
      peer.send({ type: 'watch-projection', sub: 3, name: KIT_PROJECTION, key: type });
      assert.equal((await nextOf(peer, 3)).type, 'projection-watching', 'SPEC 18.6: started');
      peer.send({ type: 'watch-projection', sub: 3, name: KIT_PROJECTION, key: type });
      const refused = await nextOf(peer, 3);
      assert.equal(refused.type === 'error' && refused.code, 'protocol', `SPEC 18.6: protocol; got ${JSON.stringify(refused)}`);
      const pos = await appendTyped(kit, peer, type, 1);
      const changed = await peer.next((frame) => frame.type === 'projection-changed' && frame.sub === 3, CATCH_UP_MS + 2000);
      assert.ok(changed.type === 'projection-changed' && changed.checkpoint >= pos && changed.value === 1, `SPEC 6.5.11: the open watch goes on; got ${JSON.stringify(changed)}`);
      peer.send({ type: 'unsubscribe', sub: 3 });
    },
  },
  {
    section: '18.7',
    title: 'projection-entries pages the state in key order; next names the last key exactly when more follow',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const prefix = typeName(kit, 'page');
      const types = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
      let last = 0;
      for (const type of types) last = await appendTyped(kit, peer, type, 1);
      await countOf(kit, peer, types[2]!, last);
      // Only this run's types start with the prefix, and nothing sorts between the prefix and them.
      const first = await askFor(kit, peer, { type: 'projection-entries', name: KIT_PROJECTION, after: prefix, limit: 2 }, 'projection-page');
      assert.deepEqual(first.entries, [{ key: types[0], value: 1 }, { key: types[1], value: 1 }], 'SPEC 18.7: the first entries after `after`, in key order');
      assert.equal(first.next, types[1], 'SPEC 18.7: next is the last key of a page that more entries follow');
      const second = await askFor(kit, peer, { type: 'projection-entries', name: KIT_PROJECTION, after: first.next, limit: 1 }, 'projection-page');
      assert.deepEqual(second.entries, [{ key: types[2], value: 1 }], 'SPEC 18.7: the next page starts after next');
      assert.ok(second.checkpoint >= last, `SPEC 18.7: the page's checkpoint; got ${second.checkpoint}`);
      const end = await askFor(kit, peer, { type: 'projection-entries', name: KIT_PROJECTION, after: '\u{10FFFF}', limit: 1 }, 'projection-page');
      assert.deepEqual({ entries: end.entries, next: end.next }, { entries: [], next: null }, 'SPEC 18.7: after every key: an empty page, next null');
    },
  },
  {
    section: '18.8',
    title: 'rebuild-projection resets the state and runs it again: the counts come back',
    needs,
    timeoutMs: 20_000,
    async run(kit) {
      const peer = await kit.open();
      const type = typeName(kit);
      const pos = await appendTyped(kit, peer, type, 3);
      await countOf(kit, peer, type, pos);
      const answer = await askFor(kit, peer, { type: 'rebuild-projection', name: KIT_PROJECTION }, 'projection-rebuilding');
      assert.equal(answer.name, KIT_PROJECTION, 'SPEC 18.8: projection-rebuilding names it');
      const rebuilt = await askFor(kit, peer, { type: 'projection', name: KIT_PROJECTION, key: type, atLeast: pos, timeoutMs: 15_000 }, 'projection-state');
      assert.equal(rebuilt.value, 3, `SPEC 18.8: the rebuilt state counts every event again, once; got ${JSON.stringify(rebuilt)}`);
    },
  },
  {
    section: '18.3',
    title: 'reading a projection needs read on its selector; rebuilding it needs write; the list hides the others',
    needs: ['projections', 'auth'],
    async run(kit) {
      const auth = kit.server.auth!;
      const reader = await kit.open({ token: auth.reader });
      const list = await askFor(kit, reader, { type: 'projections' }, 'projection-list');
      assert.ok(!list.projections.some((one) => one.name === KIT_PROJECTION), 'SPEC 18.4: a reader of tauon-conf-auth.* is not shown a projection of $all');
      for (const frame of [{ type: 'projection', name: KIT_PROJECTION }, { type: 'projection-entries', name: KIT_PROJECTION }]) {
        const answer = await kit.ask(reader, frame);
        assert.equal(answer.type === 'error' && answer.code, 'forbidden', `SPEC 18.3: ${frame.type}; got ${JSON.stringify(answer)}`);
        assert.deepEqual(answer.type === 'error' ? answer.details : undefined, { permission: 'read', selector: '$all' }, 'SPEC 18.3: details name the selector');
      }
      reader.send({ type: 'watch-projection', sub: 4, name: KIT_PROJECTION });
      const refused = await nextOf(reader, 4);
      assert.equal(refused.type === 'error' && refused.code, 'forbidden', `SPEC 18.3: a watch; got ${JSON.stringify(refused)}`);
      const writer = await kit.open({ token: auth.writer });
      const rebuild = await kit.ask(writer, { type: 'rebuild-projection', name: KIT_PROJECTION });
      assert.equal(rebuild.type === 'error' && rebuild.code, 'forbidden', `SPEC 18.3: rebuild without write on $all; got ${JSON.stringify(rebuild)}`);
      assert.deepEqual(rebuild.type === 'error' ? rebuild.details : undefined, { permission: 'write', selector: '$all' }, 'SPEC 18.3: details');
    },
  },
];

function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
