// The kit proves it can fail: it runs against mutants of the reference server (a correct server
// behind a connection that rewrites its frames as a server with one bug would send them) and
// each mutant must be caught by named cases. The sections run are those that concern the bug.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_CASES } from '../conformance/cases/index.js';
import { caseName } from '../conformance/kit/case.js';
import { runConformance, type CaseResult } from '../conformance/kit/run-cases.js';
import type { ServerUnderTest } from '../conformance/kit/server-under-test.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { mutatedConnection, type Frame, type Mutation } from './mutating-connection.js';
import { QUICK_KIT_OPTIONS } from './quick-kit-options.js';
import { KIT_COUNTS_PROJECTION } from '../conformance/kit-projection.js';

/** The name of the kit's case with this title (so that a renamed case fails here, loudly). */
function named(title: string): string {
  const found = WIRE_CASES.find((testCase) => testCase.title === title);
  if (found === undefined) throw new Error(`no case of the kit is titled "${title}"`);
  return caseName(found);
}

/** The events of an `events` frame. */
const eventsOf = (frame: Frame) => frame['events'] as Frame[];

interface Mutant {
  readonly name: string;
  readonly mutation: Mutation;
  /** The sections whose cases run against it. */
  readonly sections: readonly string[];
  /** Cases that must fail. */
  readonly caughtBy: () => string[];
}

const MUTANTS: readonly Mutant[] = [
  {
    name: 'credit ignored: subscribe asks maxCredit, credit frames are dropped',
    mutation: {
      toServer(frame) {
        if (frame['type'] === 'credit') return undefined;
        if (frame['type'] === 'subscribe') return { ...frame, credit: QUICK_KIT_OPTIONS.limits.maxCredit };
        return frame;
      },
    },
    sections: ['6.4.3', '6.4.4', '12'],
    caughtBy: () => [named('a cold subscription resumed as cold from {after: p} ends at the head of the resubscription')],
  },
  {
    name: 'caught-up sent early: one before the first events of each subscription',
    mutation: {
      toClient(frame, state) {
        if (frame['type'] !== 'events' || state.has(`sub ${String(frame['sub'])}`)) return [frame];
        state.set(`sub ${String(frame['sub'])}`, true);
        const first = eventsOf(frame)[0]!;
        const at = typeof first['seq'] === 'number' ? (first['seq']) - 1 : 0;
        return [{ type: 'caught-up', sub: frame['sub'], at }, frame];
      },
    },
    sections: ['6.4.3', '6.5.5', '12'],
    caughtBy: () => [
      named('a hot subscription that was caught up resumes as hot-cold from {after: p} and gets what was committed while away'),
      named('a cold subscription resumed as cold from {after: p} ends at the head of the resubscription'),
    ],
  },
  {
    name: 'a chain not broken: every append is sent with newChain',
    mutation: { toServer: (frame) => (frame['type'] === 'append' ? { ...frame, newChain: true } : frame) },
    sections: ['6.4.2', '12'],
    caughtBy: () => [named('a new connection starts with no broken chains and no subscriptions')],
  },
  {
    name: 'a limit not enforced: welcome and server-info announce half the maxEventsPerAppend enforced',
    mutation: {
      toClient(frame) {
        if (frame['type'] !== 'welcome' && frame['type'] !== 'server-info') return [frame];
        const limits = frame['limits'] as Record<string, number>;
        return [{ ...frame, limits: { ...limits, maxEventsPerAppend: Math.floor(limits['maxEventsPerAppend']! / 2) } }];
      },
    },
    sections: ['8'],
    caughtBy: () => [named('an append of maxEventsPerAppend events is taken; one more is limit naming the request, and nothing is stored')],
  },
  {
    name: 'events reordered: the last two events of a frame swapped',
    mutation: {
      toClient(frame) {
        const events = frame['type'] === 'events' ? eventsOf(frame) : [];
        if (events.length < 2) return [frame];
        return [{ ...frame, events: [...events.slice(0, -2), events.at(-1), events.at(-2)] }];
      },
    },
    sections: ['12'],
    caughtBy: () => [
      named('a hot-cold subscription resumed on a new connection from {after: last delivered} has no gap and no duplicate while another peer appends'),
      named('a cold subscription resumed as cold from {after: p} ends at the head of the resubscription'),
    ],
  },
  {
    name: 'a duplicate event: the first event of every frame sent twice',
    mutation: {
      toClient(frame) {
        if (frame['type'] !== 'events') return [frame];
        const events = eventsOf(frame);
        return [{ ...frame, events: [events[0], ...events] }];
      },
    },
    sections: ['12'],
    caughtBy: () => [
      named('a hot-cold subscription resumed on a new connection from {after: last delivered} has no gap and no duplicate while another peer appends'),
      named('a cold subscription resumed as cold from {after: p} ends at the head of the resubscription'),
    ],
  },
  {
    name: 'a frame that fails the schemas: server-info without its limits',
    mutation: {
      toClient(frame) {
        if (frame['type'] !== 'server-info') return [frame];
        const { limits: _dropped, ...rest } = frame;
        return [rest];
      },
    },
    sections: ['6.3'],
    caughtBy: () => [named('every frame the server sends matches the protocol schemas, in msgpack and in JSON')],
  },
  {
    name: 'a watch that loses its first change: the first projection-changed of each watch dropped',
    mutation: {
      toClient(frame, state) {
        if (frame['type'] !== 'projection-changed' || state.has(`watch ${String(frame['sub'])}`)) return [frame];
        state.set(`watch ${String(frame['sub'])}`, true);
        return [];
      },
    },
    sections: ['18.6'],
    caughtBy: () => [named('a watch says projection-watching first, then the changes committed after it, until unsubscribed')],
  },
  {
    name: 'a page that hides what follows: projection-page always says next null',
    mutation: {
      toClient(frame) {
        return frame['type'] === 'projection-page' ? [{ ...frame, next: null }] : [frame];
      },
    },
    sections: ['18.7'],
    caughtBy: () => [named('projection-entries pages the state in key order; next names the last key exactly when more follow')],
  },
];

describe('the conformance kit against mutants of the reference server', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer('memory', { ...QUICK_KIT_OPTIONS, projections: [KIT_COUNTS_PROJECTION] });
  });
  afterAll(() => running.close());

  const underTest = (mutation?: Mutation): ServerUnderTest => ({
    connect: async () => {
      const connection = await running.connect();
      return mutation === undefined ? connection : mutatedConnection(connection, mutation);
    },
  });
  const failedOf = (results: readonly CaseResult[]) => results.filter((result) => result.outcome === 'failed').map((result) => result.name);

  it('the reference server, unmutated, passes every section the mutants run', async () => {
    const sections = [...new Set(MUTANTS.flatMap((mutant) => mutant.sections))];
    const results = await runConformance(WIRE_CASES, underTest(), { only: sections });
    expect(results.filter((result) => result.outcome === 'failed')).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  }, 120_000);

  for (const mutant of MUTANTS) {
    it(`catches ${mutant.name}`, async () => {
      const results = await runConformance(WIRE_CASES, underTest(mutant.mutation), { only: mutant.sections });
      const failed = failedOf(results);
      for (const name of mutant.caughtBy()) {
        expect(failed, `${name} must catch the mutant`).toContain(name);
      }
      expect(failed.length).toBeGreaterThan(0);
    }, 120_000);
  }
});
