import { describe, expect, it, type TestContext } from 'vitest';
import { AppendConditionFailedError } from '../../protocol/errors.js';
import type { AppendCondition, EventInput } from '../../protocol/frames.js';
import { CONDITION_SCAN_LIMIT } from '../../server-reference/stores/append-condition.js';
import type { AppendOutcome, AppendRequest, EventStore } from '../../server-reference/stores/event-store.js';

/*
 * The append-condition part of the store contract (SPEC 5.8.1): a store that says it checks
 * conditions (EventStore.checksAppendConditions) fails a request whose condition matches an
 * event stored after its position, by type, key and selector, atomically with the write; a
 * store that does not say so skips every case.
 */

/** Appends made at once in the race case, each conditioned on the others' type and key. */
const RACERS = 8;
/** Rounds of the race case. */
const ROUNDS = 5;

let unique = 0;
/** An event with a fresh id. */
function fresh(type: string, key?: string): EventInput & { id: string } {
  unique += 1;
  return { id: `cond-${unique}-${Math.random().toString(36).slice(2)}`, type, ...(key === undefined ? {} : { key }) };
}

function conditioned(stream: string, events: (EventInput & { id: string })[], condition: AppendCondition): AppendRequest {
  return { stream, events, expected: 'any', dedupe: false, condition };
}

function plain(stream: string, events: (EventInput & { id: string })[]): AppendRequest {
  return { stream, events, expected: 'any', dedupe: false };
}

function written(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: true }> {
  if (outcome === undefined || !outcome.ok) throw new Error(`expected a written outcome, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function failure(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: false }>['error'] {
  if (outcome === undefined || outcome.ok) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

/** The cases; `store` answers the store of the running test. */
export function describeConditionStoreContract(store: () => EventStore): void {
  describe('append conditions (SPEC 5.8.1)', () => {
    const checks = (context: TestContext): EventStore => {
      const current = store();
      if (current.checksAppendConditions !== true) context.skip('the store does not check append conditions (optional)');
      return current;
    };

    it('holds when nothing matches after its position, and fails naming the first match after it', async (context) => {
      const s = checks(context);
      const [seat] = await s.append([plain('seats.a', [fresh('SeatReserved', 'seat-1')])]);
      const at = written(seat).positions[0]!;
      const condition: AppendCondition = { stream: '$all', types: ['SeatReserved'], keys: ['seat-1'], after: at };
      const [first] = await s.append([conditioned('bookings.1', [fresh('Booked', 'seat-1')], condition)]);
      written(first);
      const [before] = await s.append([conditioned('bookings.2', [fresh('Booked', 'seat-1')], { ...condition, after: at - 1 })]);
      const error = failure(before);
      expect(error.code).toBe('condition-failed');
      expect(error).toBeInstanceOf(AppendConditionFailedError);
      expect(error.details, 'the failure names the append\'s stream and the matching event').toEqual({ stream: 'bookings.2', pos: at });
      expect(await s.streamInfo('bookings.2'), 'nothing is written').toBeUndefined();
    });

    it('matches by type, by key (an event without a key matches no keys), and by selector', async (context) => {
      const s = checks(context);
      const [head] = await s.append([plain('zone.a', [fresh('Other', 'k1')])]);
      const after = written(head).positions[0]!;
      await s.append([plain('zone.a', [fresh('Wanted')]), plain('zone.b', [fresh('Wanted', 'k2')]), plain('elsewhere', [fresh('Wanted', 'k1')])]);
      const cases: [AppendCondition, boolean][] = [
        [{ stream: 'zone.*', types: ['Wanted'], keys: ['k1'], after }, true],
        [{ stream: 'zone.*', types: ['Wanted'], keys: ['k2'], after }, false],
        [{ stream: 'zone.a', types: ['Wanted'], after }, false],
        [{ stream: 'zone.a', types: ['Wanted'], keys: ['k2'], after }, true],
        [{ stream: '$all', types: ['Wanted'], keys: ['k1'], after }, false],
        [{ stream: 'zone.*', types: ['Other'], after }, true],
        [{ stream: 'nowhere.*', types: ['Wanted'], after }, true],
      ];
      for (const [condition, holds] of cases) {
        const [outcome] = await s.append([conditioned('results', [fresh('R')], condition)]);
        expect(outcome!.ok, JSON.stringify(condition)).toBe(holds);
        if (!holds) expect(failure(outcome).code).toBe('condition-failed');
      }
    });

    it('counts the events written by the requests before it in the same call, not its own', async (context) => {
      const s = checks(context);
      const [head] = await s.append([plain('call.head', [fresh('Head')])]);
      const after = written(head).positions[0]!;
      const condition: AppendCondition = { stream: 'call.*', types: ['Claimed'], keys: ['x'], after };
      const outcomes = await s.append([
        conditioned('call.one', [fresh('Claimed', 'x')], condition),
        conditioned('call.two', [fresh('Claimed', 'x')], condition),
      ]);
      written(outcomes[0]);
      expect(failure(outcomes[1]).details).toEqual({ stream: 'call.two', pos: written(outcomes[0]).positions[0] });
    });

    it('is checked after the expected version, and skipped for a retry whose events are all stored', async (context) => {
      const s = checks(context);
      const first = fresh('Claimed', 'retry');
      const [head] = await s.append([plain('retry.other', [fresh('Noise')])]);
      const after = written(head).positions[0]!;
      const condition: AppendCondition = { stream: '$all', types: ['Claimed'], keys: ['retry'], after };
      const [original] = await s.append([conditioned('retry.a', [first], condition)]);
      const ack = written(original);
      const [again] = await s.append([conditioned('retry.a', [first], condition)]);
      expect(written(again), 'the original ack, though the condition no longer holds').toMatchObject({ tx: ack.tx, seqs: ack.seqs, positions: ack.positions, dups: [0] });
      const [wrong] = await s.append([{ ...conditioned('retry.a', [fresh('Claimed', 'retry')], condition), expected: 7 }]);
      expect(failure(wrong).code, 'the expected version is checked first').toBe('wrong-expected-version');
    });

    it('refuses with limit a condition it cannot decide within the scan bound, and decides one it can', async (context) => {
      const s = checks(context);
      const [head] = await s.append([plain('bulk.head', [fresh('Head')])]);
      const after = written(head).positions[0]!;
      const many = Array.from({ length: CONDITION_SCAN_LIMIT + 1 }, () => fresh('Bulk', 'other'));
      await s.append([plain('bulk.many', many)]);
      const [undecided] = await s.append([conditioned('bulk.r', [fresh('R')], { stream: '$all', types: ['Bulk'], keys: ['mine'], after })]);
      expect(failure(undecided).code).toBe('limit');
      const [matched] = await s.append([conditioned('bulk.r', [fresh('R')], { stream: '$all', types: ['Bulk'], keys: ['other'], after })]);
      expect(failure(matched).code, 'a match within the bound is a match').toBe('condition-failed');
      const [late] = await s.append([conditioned('bulk.r', [fresh('R')], { stream: '$all', types: ['Bulk'], keys: ['mine'], after: after + CONDITION_SCAN_LIMIT })]);
      written(late);
    });

    it(`lets exactly one of ${RACERS} appends made at once with conflicting conditions win, ${ROUNDS} rounds`, async (context) => {
      const s = checks(context);
      for (let round = 0; round < ROUNDS; round++) {
        const seat = `race-seat-${round}-${unique}`;
        const [head] = await s.append([plain('race.head', [fresh('Head')])]);
        const after = written(head).positions[0]!;
        const condition: AppendCondition = { stream: 'race.*', types: ['SeatReserved'], keys: [seat], after };
        const calls = Array.from({ length: RACERS }, (_, i) => s.append([conditioned(`race.booking-${round}-${i}`, [fresh('SeatReserved', seat)], condition)]));
        const outcomes = (await Promise.all(calls)).map(([outcome]) => outcome!);
        expect(outcomes.filter((outcome) => outcome.ok), `round ${round}: one winner`).toHaveLength(1);
        for (const outcome of outcomes) if (!outcome.ok) expect(outcome.error.code).toBe('condition-failed');
      }
    });
  });
}
