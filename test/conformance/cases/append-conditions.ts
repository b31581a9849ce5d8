import assert from 'node:assert/strict';
import type { AppendedFrame, ErrorFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { Answer, KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/** The feature of SPEC 5.8.1. */
const FEATURE = 'append-condition';
const needs = [FEATURE] as const;

function errorOf(answer: Answer, code: string, rule: string): ErrorFrame {
  assert.ok(answer.type === 'error' && answer.code === code, `${rule}: expected error ${code}, got ${JSON.stringify(answer)}`);
  return answer;
}

function ackOf(answer: Answer, rule: string): AppendedFrame {
  assert.equal(answer.type, 'appended', `${rule}: expected appended, got ${JSON.stringify(answer)}`);
  return answer;
}

/** A family of streams of this case only: `base.<name>`, all selected by `base.*`. */
function family(kit: KitContext): { pattern: string; stream: (name: string) => string } {
  const base = kit.stream('cond');
  return { pattern: `${base}.*`, stream: (name) => `${base}.${name}` };
}

/** One keyed event with a fresh id. */
function keyed(kit: KitContext, type: string, key: string): { id: string; type: string; key: string } {
  return { id: kit.eventId(type), type, key };
}

/** Asserts that `stream` holds no event: the refused append wrote nothing. */
async function isEmpty(kit: KitContext, peer: RawPeer, stream: string, rule: string): Promise<void> {
  const page = await kit.ask(peer, { type: 'read', stream });
  assert.ok(page.type === 'page' && page.events.length === 0, `${rule}: the refused append writes nothing; got ${JSON.stringify(page)}`);
}

/** Cases of SPEC.md section 5.8.1 (append conditions) and its place in 5.8's order of checks. */
export const APPEND_CONDITION_CASES: readonly ConformanceCase[] = [
  {
    section: '5.8.1',
    title: 'a condition nothing matches writes; one an event after its position matches fails condition-failed {stream, pos} and writes nothing',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const seats = family(kit);
      const reserved = ackOf(await kit.append(peer, seats.stream('a'), [keyed(kit, 'SeatReserved', 'seat-7')]), 'a reservation');
      const at = reserved.positions[0]!;
      const condition = { stream: seats.pattern, types: ['SeatReserved', 'SeatReleased'], keys: ['seat-7'], after: at };
      ackOf(await kit.append(peer, seats.stream('b'), [keyed(kit, 'Booked', 'seat-7')], { condition }), 'SPEC 5.8.1: nothing matches after the reservation');
      const late = seats.stream('c');
      const refused = errorOf(
        await kit.append(peer, late, [keyed(kit, 'Booked', 'seat-7')], { condition: { ...condition, after: at - 1 } }),
        'condition-failed',
        'SPEC 5.8.1: the reservation is after the position',
      );
      assert.deepEqual(refused.details, { stream: late, pos: at }, 'SPEC 5.8.1: details name the append\'s stream and the matching event\'s pos');
      await isEmpty(kit, peer, late, 'SPEC 5.8.1');
    },
  },
  {
    section: '5.8.1',
    title: 'an event matches by type, by key (one without a key matches no keys) and by selector, after the position only',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const zone = family(kit);
      const head = ackOf(await kit.append(peer, zone.stream('head'), [keyed(kit, 'Other', 'k1')]), 'the head');
      const after = head.positions[0]!;
      ackOf(await kit.append(peer, zone.stream('a'), [{ id: kit.eventId(), type: 'Wanted' }]), 'a keyless event');
      ackOf(await kit.append(peer, zone.stream('b'), [keyed(kit, 'Wanted', 'k2')]), 'an event of k2');
      const cases: [Record<string, unknown>, boolean, string][] = [
        [{ stream: zone.pattern, types: ['Wanted'], keys: ['k1'], after }, true, 'no Wanted event of k1'],
        [{ stream: zone.pattern, types: ['Wanted'], keys: ['k2'], after }, false, 'the Wanted event of k2'],
        [{ stream: zone.stream('a'), types: ['Wanted'], after }, false, 'the keyless Wanted event, any key'],
        [{ stream: zone.stream('a'), types: ['Wanted'], keys: ['k2'], after }, true, 'a keyless event matches no keys'],
        [{ stream: zone.pattern, types: ['Other'], after }, true, 'the Other event is at the position, not after'],
        [{ stream: zone.pattern, types: ['Other'], after: after - 1 }, false, 'the Other event is after an earlier position'],
      ];
      for (const [condition, holds, rule] of cases) {
        const stream = zone.stream(`r${kit.eventId('r')}`);
        const answer = await kit.append(peer, stream, [{ id: kit.eventId(), type: 'R' }], { condition });
        if (holds) ackOf(answer, `SPEC 5.8.1: ${rule}`);
        else errorOf(answer, 'condition-failed', `SPEC 5.8.1: ${rule}`);
      }
    },
  },
  {
    section: '5.8',
    title: 'order of checks: an append of id duplicates gets its original ack without its condition; the expected version comes before the condition',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const claims = family(kit);
      const head = ackOf(await kit.append(peer, claims.stream('head'), [{ id: kit.eventId(), type: 'Head' }]), 'the head');
      const condition = { stream: claims.pattern, types: ['Claimed'], keys: ['x'], after: head.positions[0]! };
      const stream = claims.stream('a');
      const event = keyed(kit, 'Claimed', 'x');
      const original = ackOf(await kit.append(peer, stream, [event], { condition }), 'the first try');
      const retry = ackOf(await kit.append(peer, stream, [event], { condition }), 'SPEC 5.8 step 8: a retry of stored events is acked, though its own first try now matches');
      assert.deepEqual([retry.tx, retry.seqs, retry.positions, retry.dups], [original.tx, original.seqs, original.positions, [0]], 'SPEC 5.8: the original ack');
      errorOf(
        await kit.append(peer, stream, [keyed(kit, 'Claimed', 'x')], { condition, expected: 999_999, newChain: true }),
        'wrong-expected-version',
        'SPEC 5.8 steps 9 and 10: the expected version is checked before the condition',
      );
      errorOf(await kit.append(peer, stream, [keyed(kit, 'Claimed', 'x')], { condition, newChain: true }), 'condition-failed', 'SPEC 5.8 step 10');
    },
  },
  {
    section: '5.8.1',
    title: 'a malformed condition is bad-frame, and writes nothing',
    needs,
    async run(kit) {
      const peer = await kit.open();
      const bad = family(kit);
      const malformed: unknown[] = [
        { stream: bad.pattern, types: [], after: 0 },
        { stream: bad.pattern, types: ['T'], keys: [], after: 0 },
        { stream: bad.pattern, types: ['T'], after: -1 },
        { stream: bad.pattern, types: ['T'] },
        { stream: `${bad.pattern}x`, types: ['T'], after: 0 },
        { stream: bad.pattern, types: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], after: 0 },
      ];
      for (const [index, condition] of malformed.entries()) {
        const stream = bad.stream(`m${index}`);
        errorOf(await kit.append(peer, stream, [{ id: kit.eventId(), type: 'T' }], { condition }), 'bad-frame', `SPEC 5.8.1: ${JSON.stringify(condition)}`);
        await isEmpty(kit, peer, stream, 'SPEC 5.8.1');
      }
    },
  },
  {
    section: '5.8.1',
    title: 'a server that does not announce append-condition answers an append with a condition unsupported and writes nothing',
    async run(kit) {
      if ((kit.welcome.features ?? []).includes(FEATURE)) return; // the cases above prove the feature
      const peer = await kit.open();
      const plain = family(kit);
      const stream = plain.stream('a');
      errorOf(
        await kit.append(peer, stream, [{ id: kit.eventId(), type: 'T' }], { condition: { stream: plain.pattern, types: ['T'], after: 0 } }),
        'unsupported',
        'SPEC 5.8.1: without the feature',
      );
      await isEmpty(kit, peer, stream, 'SPEC 5.8.1');
    },
  },
];
