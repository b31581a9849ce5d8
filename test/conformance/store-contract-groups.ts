import { describe, expect, it, type TestContext } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import type { GroupPartition, GroupState, GroupStore, ParkedEvent } from '../../server-reference/groups/group-store.js';
import { compareNames } from '../../server-reference/stores/name-order.js';

/*
 * The GroupStore part of the store contract (SPEC 17): what a store keeps for consumer groups
 * (one document per group, written by compare-and-set, and the group's parked events), checked
 * on the store's `groups`. A store without `groups` skips every case (it serves no groups).
 */

/** Saves made at once with the same expected revision in the race cases. */
const RACERS = 8;

/** Group names a store must keep apart and hand back as they are: spaces, dots, non-ASCII, NUL. */
export const AWKWARD_GROUP_NAMES: readonly string[] = [
  'billing',
  'order processors',
  'a.b.c',
  'a',
  'a.b',
  'a b',
  'Größe-über-大',
  'emoji 🚀 group',
  '🚀 rocket',
  'tab\there',
  'nul\u0000inside',
  'quote\'"\\ and %_ like',
  'ends.',
  '=3D looks escaped',
  '\ue000 private use',
  'x'.repeat(200),
];

/** A group's document with `partitions` partitions; `seed` varies the contents. */
export function sampleGroupState(partitions = 4, seed = 1, overrides: Partial<GroupState> = {}): GroupState {
  const members = {
    [`member-${seed}`]: { expires: 1_700_000_000_000 + seed, leaseMs: 10_000, host: 'c1b2e1f0-0000-4000-8000-000000000001', joined: 1_700_000_000_000 },
    'member two.with dots': { expires: 1_700_000_005_000, leaseMs: 30_000, host: 'c1b2e1f0-0000-4000-8000-000000000002', joined: 1_699_999_999_999 },
  };
  const parts: GroupPartition[] = Array.from({ length: partitions }, (_, part) => ({
    owner: part % 3 === 2 ? null : part % 2 === 0 ? `member-${seed}` : 'member two.with dots',
    gen: part + seed,
    revoking: part % 5 === 4,
    checkpoint: part * 1_000 + seed,
    replayed: part % 2,
  }));
  return {
    v: 1,
    stream: 'orders.*',
    filter: null,
    partitions,
    created: 1_700_000_000_000,
    lastGen: partitions + seed,
    members,
    parts,
    replay: seed,
    ...overrides,
  };
}

/** A parked event of `part` at `position`. */
export function sampleParked(position: number, part: number, overrides: Partial<ParkedEvent> = {}): ParkedEvent {
  return {
    position,
    part,
    id: `event-${position}`,
    stream: `orders.${part}`,
    seq: position,
    reason: 'max-deliveries',
    deliveries: 10,
    parkedAt: 1_700_000_000_000 + position,
    ...overrides,
  };
}

/**
 * Registers the GroupStore cases inside the store contract's suite; `current` answers the fresh
 * store of the running case. Each case skips itself when that store has no `groups`.
 */
export function describeGroupStoreContract(current: () => EventStore): void {
  describe('groups (GroupStore, SPEC 17)', () => {
    /** The store's GroupStore, or the case is skipped: a store without one serves no groups. */
    function groupsOf(context: TestContext): GroupStore {
      const groups = current().groups;
      if (groups === undefined) context.skip('the store has no groups (EventStore.groups)');
      return groups;
    }

    it('load answers undefined for a group that does not exist, and a fresh store lists none', async (context) => {
      const groups = groupsOf(context);
      expect(await groups.load('nobody'), 'load: a missing group is undefined').toBeUndefined();
      expect(await groups.list(), 'list: a fresh store has no groups').toEqual([]);
      expect(await groups.parked('nobody', 0, 100), 'parked: a missing group has none').toEqual([]);
      expect([...(await groups.parkedCounts('nobody'))], 'parkedCounts: a missing group has none').toEqual([]);
      expect(await groups.unpark('nobody', 1), 'unpark: nothing to forget').toBe(false);
      expect(await groups.delete('nobody'), 'delete: no such group answers false').toBe(false);
    });

    it('save with expected undefined creates a group once; a second create is refused and writes nothing', async (context) => {
      const groups = groupsOf(context);
      const first = sampleGroupState(4, 1);
      const revision = await groups.save('billing', first, undefined);
      expect(typeof revision, 'create: resolves with the new revision (a string)').toBe('string');
      const loaded = await groups.load('billing');
      expect(loaded?.state, 'create: load hands back an equal document').toEqual(first);
      expect(loaded?.revision, 'create: load answers the revision save resolved with').toBe(revision);

      const second = sampleGroupState(8, 2);
      expect(await groups.save('billing', second, undefined), 'create of an existing group: undefined (another writer came first)').toBeUndefined();
      const after = await groups.load('billing');
      expect(after?.state, 'a refused create writes nothing').toEqual(first);
      expect(after?.revision, 'a refused create leaves the revision').toBe(revision);
    });

    it('save with the current revision writes and moves the revision; a stale revision is refused and writes nothing', async (context) => {
      const groups = groupsOf(context);
      const r1 = (await groups.save('g', sampleGroupState(4, 1), undefined))!;
      const s2 = sampleGroupState(4, 2);
      const r2 = await groups.save('g', s2, r1);
      expect(typeof r2, 'update with the current revision: resolves with the new revision').toBe('string');
      expect(r2, 'update: the revision changes with every write').not.toBe(r1);
      expect(await groups.load('g'), 'update: load answers the new document and revision').toEqual({ state: s2, revision: r2 });

      expect(await groups.save('g', sampleGroupState(4, 3), r1), 'update with a stale revision: undefined').toBeUndefined();
      expect(await groups.load('g'), 'a refused update writes nothing').toEqual({ state: s2, revision: r2 });

      // An unchanged document written again is still a write: the revision moves on.
      const r3 = await groups.save('g', s2, r2);
      expect(typeof r3 === 'string' && r3 !== r2, 'writing the same document again moves the revision').toBe(true);
      expect(await groups.save('g', s2, r2), 'the revision before it is stale now').toBeUndefined();
      expect((await groups.load('g'))?.revision, 'the revision of the last write').toBe(r3);
    });

    it('save with a revision for a group that does not exist is refused and creates nothing', async (context) => {
      const groups = groupsOf(context);
      const revision = (await groups.save('other', sampleGroupState(2, 1), undefined))!;
      expect(await groups.save('absent', sampleGroupState(2, 1), revision), 'update of a missing group: undefined').toBeUndefined();
      expect(await groups.load('absent'), 'a refused update creates nothing').toBeUndefined();
      expect(await groups.list(), 'list: only the group created').toEqual(['other']);
    });

    it('hands back an equal document: filter null or set, nested records, 1024 partitions, awkward member ids', async (context) => {
      const groups = groupsOf(context);
      const documents: [string, GroupState][] = [
        ['no filter', sampleGroupState(1, 1)],
        ['types and keys', sampleGroupState(16, 2, { stream: 'orders', filter: { types: ['placed', 'paid'], keys: ['k 1', 'k.2', 'ключ'] } })],
        ['types only', sampleGroupState(3, 3, { stream: '$all', filter: { types: ['only'] } })],
        ['keys only', sampleGroupState(3, 4, { stream: 'prefix*', filter: { keys: ['a', 'nul\u0000key'] } })],
        ['no members', sampleGroupState(2, 5, { members: {}, parts: [0, 1].map(() => ({ owner: null, gen: 0, revoking: false, checkpoint: 0, replayed: 0 })) })],
        ['1024 partitions', sampleGroupState(1024, 6)],
        [
          'member ids of every kind',
          sampleGroupState(2, 7, {
            members: Object.fromEntries(
              ['__proto__', 'constructor', 'm.1', 'm 2', 'mé', '🚀', 'nul\u0000member'].map((id, i) => [
                id,
                { expires: 1_700_000_000_000 + i, leaseMs: 10_000 + i, host: `host-${i}`, joined: 1_600_000_000_000 + i },
              ]),
            ),
          }),
        ],
        ['large positions', sampleGroupState(2, 8, { lastGen: 2 ** 31 + 7, parts: [0, 1].map((i) => ({ owner: null, gen: 2 ** 31 + i, revoking: false, checkpoint: 2 ** 52 + i, replayed: 2 ** 20 })) })],
      ];
      for (const [label, state] of documents) {
        const name = `doc ${label}`;
        const revision = await groups.save(name, state, undefined);
        expect(revision, `${label}: created`).toBeDefined();
        const loaded = await groups.load(name);
        expect(loaded?.state, `${label}: load hands back an equal document`).toEqual(state);
        expect(Object.keys(loaded!.state.members).sort(), `${label}: the same member ids, each an own key`).toEqual(Object.keys(state.members).sort());
        expect(loaded?.state.filter === null, `${label}: a null filter stays null`).toBe(state.filter === null);
      }
    });

    it('keeps group names with spaces, dots, non-ASCII and NUL apart, and lists them in name order', async (context) => {
      const groups = groupsOf(context);
      // Created in an order that is not name order.
      const names = [...AWKWARD_GROUP_NAMES].reverse();
      for (const [i, name] of names.entries()) {
        expect(await groups.save(name, sampleGroupState(2, i + 1), undefined), `create "${name}"`).toBeDefined();
      }
      for (const [i, name] of names.entries()) {
        expect((await groups.load(name))?.state, `"${name}" loads its own document`).toEqual(sampleGroupState(2, i + 1));
      }
      expect(await groups.list(), 'list: every group once, in name order (by code point, as compareNames)').toEqual([...names].sort(compareNames));
      expect(await groups.load('a.b.'), 'a name that only starts like another is not it').toBeUndefined();
    });

    it('delete removes the document and only its own parked events; a group can be made again after', async (context) => {
      const groups = groupsOf(context);
      const revision = (await groups.save('a', sampleGroupState(2, 1), undefined))!;
      await groups.save('a.b', sampleGroupState(2, 2), undefined);
      await groups.save('a b', sampleGroupState(2, 3), undefined);
      for (const name of ['a', 'a.b', 'a b']) {
        await groups.park(name, sampleParked(5, 0));
        await groups.park(name, sampleParked(9, 1));
      }
      expect(await groups.delete('a'), 'delete: answers true for a group that existed').toBe(true);
      expect(await groups.load('a'), 'delete: the document is gone').toBeUndefined();
      expect(await groups.list(), 'delete: list leaves it out').toEqual(['a b', 'a.b']);
      expect(await groups.parked('a', 0, 100), "delete: the group's parked events are gone").toEqual([]);
      expect([...(await groups.parkedCounts('a'))], 'delete: no parked counts left').toEqual([]);
      for (const name of ['a.b', 'a b']) {
        expect(await groups.parked(name, 0, 100), `delete: the parked events of "${name}" are untouched`).toEqual([sampleParked(5, 0), sampleParked(9, 1)]);
        expect((await groups.load(name))?.state, `delete: "${name}" is untouched`).toBeDefined();
      }
      expect(await groups.delete('a'), 'delete again: false').toBe(false);
      expect(await groups.save('a', sampleGroupState(2, 4), revision), 'a revision from before the delete is stale').toBeUndefined();
      const again = await groups.save('a', sampleGroupState(2, 5), undefined);
      expect(again, 'create after delete').toBeDefined();
      expect(await groups.load('a'), 'the new document').toEqual({ state: sampleGroupState(2, 5), revision: again });
      expect(await groups.parked('a', 0, 100), 'the new group starts with no parked events').toEqual([]);
    });

    it('park keeps events by position, replaces one parked again, and parked pages in position order, of one partition when asked', async (context) => {
      const groups = groupsOf(context);
      await groups.save('p', sampleGroupState(4, 1), undefined);
      // Positions that sort differently as text, parked out of order, over three partitions.
      const positions = [100, 9, 2 ** 40, 10, 1, 2 ** 52, 55, 3];
      const parked = positions.map((position, i) => sampleParked(position, i % 3, { reason: i === 1 ? 'nack: bad "data" \u00e9\u0000' : 'max-deliveries' }));
      for (const event of parked) await groups.park('p', event);
      const inOrder = [...parked].sort((a, b) => a.position - b.position);

      expect(await groups.parked('p', 0, 100), 'parked: every event, in position order').toEqual(inOrder);
      expect(await groups.parked('p', 0, 3), 'parked: at most limit').toEqual(inOrder.slice(0, 3));
      expect(await groups.parked('p', 10, 3), 'parked: after a position (exclusive)').toEqual(inOrder.filter((e) => e.position > 10).slice(0, 3));
      expect(await groups.parked('p', 2 ** 52, 10), 'parked: nothing after the last').toEqual([]);

      // Paging through by the last position of each page visits each once.
      const paged: ParkedEvent[] = [];
      let after = 0;
      for (let page = 0; page < 20; page++) {
        const batch = await groups.parked('p', after, 2);
        paged.push(...batch);
        if (batch.length < 2) break;
        after = batch[batch.length - 1]!.position;
      }
      expect(paged, 'parked: pages of 2 cover every event once, in order').toEqual(inOrder);

      for (const part of [0, 1, 2, 3]) {
        const ofPart = inOrder.filter((e) => e.part === part);
        expect(await groups.parked('p', 0, 100, part), `parked of partition ${part}`).toEqual(ofPart);
        expect(await groups.parked('p', 9, 1, part), `parked of partition ${part} after 9, limit 1`).toEqual(ofPart.filter((e) => e.position > 9).slice(0, 1));
      }

      // Parked again (replayed, and failed again): the same event, so the same partition.
      const original = parked.find((e) => e.position === 55)!;
      const replaced = sampleParked(55, original.part, { reason: 'nack', deliveries: 11, parkedAt: 1_800_000_000_000 });
      await groups.park('p', replaced);
      const afterReplace = await groups.parked('p', 0, 100);
      expect(afterReplace.length, 'park of a parked position replaces it: no second entry').toBe(parked.length);
      expect(afterReplace.find((e) => e.position === 55), 'park of a parked position keeps the new one').toEqual(replaced);

      expect(Object.fromEntries(await groups.parkedCounts('p')), 'parkedCounts: per partition, partitions with none left out').toEqual(
        Object.fromEntries([0, 1, 2].map((part) => [part, parked.filter((e) => e.part === part).length])),
      );
    });

    it('unpark forgets one parked event and answers whether there was one', async (context) => {
      const groups = groupsOf(context);
      await groups.save('u', sampleGroupState(2, 1), undefined);
      await groups.save('u2', sampleGroupState(2, 1), undefined);
      for (const position of [1, 2, 3]) await groups.park('u', sampleParked(position, position % 2));
      await groups.park('u2', sampleParked(2, 0));
      expect(await groups.unpark('u', 2), 'unpark: true for a parked event').toBe(true);
      expect(await groups.unpark('u', 2), 'unpark again: false').toBe(false);
      expect(await groups.unpark('u', 7), 'unpark of a position never parked: false').toBe(false);
      expect((await groups.parked('u', 0, 10)).map((e) => e.position), 'unpark: the others stay').toEqual([1, 3]);
      expect(Object.fromEntries(await groups.parkedCounts('u')), 'parkedCounts after unpark').toEqual({ 1: 2 });
      expect(await groups.parked('u2', 0, 10), "unpark: another group's event at the same position stays").toEqual([sampleParked(2, 0)]);
      expect(await groups.unpark('u', 1), 'unpark the rest').toBe(true);
      expect(await groups.unpark('u', 3), 'unpark the rest').toBe(true);
      expect([...(await groups.parkedCounts('u'))], 'parkedCounts: empty when none are parked').toEqual([]);
      await groups.park('u', sampleParked(2, 0, { reason: 'again' }));
      expect(await groups.parked('u', 0, 10), 'an unparked position can be parked again').toEqual([sampleParked(2, 0, { reason: 'again' })]);
    });

    it(`${RACERS} concurrent creates of one group: exactly one wins and its document is kept`, async (context) => {
      const groups = groupsOf(context);
      const states = Array.from({ length: RACERS }, (_, i) => sampleGroupState(4, i + 1));
      const answers = await Promise.all(states.map((state) => groups.save('race', state, undefined)));
      const winners = answers.flatMap((answer, i) => (answer === undefined ? [] : [i]));
      expect(winners.length, `concurrent creates: exactly one resolves with a revision (got ${winners.length})`).toBe(1);
      expect(await groups.load('race'), "concurrent creates: the winner's document and revision").toEqual({
        state: states[winners[0]!],
        revision: answers[winners[0]!],
      });
    });

    it(`${RACERS} concurrent saves with the same expected revision: exactly one wins, never a lost update`, async (context) => {
      const groups = groupsOf(context);
      let revision = (await groups.save('race', sampleGroupState(4, 0), undefined))!;
      for (let round = 0; round < 3; round++) {
        const states = Array.from({ length: RACERS }, (_, i) => sampleGroupState(4, 100 * (round + 1) + i));
        const answers = await Promise.all(states.map((state) => groups.save('race', state, revision)));
        const winners = answers.flatMap((answer, i) => (answer === undefined ? [] : [i]));
        expect(winners.length, `round ${round}: exactly one save with the same expected revision wins (got ${winners.length})`).toBe(1);
        const loaded = await groups.load('race');
        expect(loaded, `round ${round}: the winner's document and revision`).toEqual({ state: states[winners[0]!], revision: answers[winners[0]!] });
        revision = loaded!.revision;
      }
    });
  });
}

/** Options of {@link describeSharedGroupStore}. */
export interface SharedGroupStoreOptions {
  /** Skip the suite and say why (for example, the database is not running). @default false */
  readonly skip?: string | false;
  /** Timeout of each case in ms. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * For a store that several servers open at once (one PostgreSQL schema, one JetStream): two
 * instances of one store, made by `openTwo` (and closed here after each case), must see one
 * group state: of saves racing through both with the same expected revision exactly one wins,
 * and each instance then loads the winner's document.
 */
export function describeSharedGroupStore(name: string, openTwo: () => Promise<readonly [EventStore, EventStore]>, options: SharedGroupStoreOptions = {}): void {
  const title = options.skip ? `GroupStore shared by two servers: ${name} (skipped: ${options.skip})` : `GroupStore shared by two servers: ${name}`;
  describe.skipIf(Boolean(options.skip))(title, { timeout: options.timeoutMs ?? 30_000 }, () => {
    async function withTwo(run: (a: GroupStore, b: GroupStore) => Promise<void>): Promise<void> {
      const [first, second] = await openTwo();
      try {
        expect(first.groups, 'both instances have groups').toBeDefined();
        expect(second.groups, 'both instances have groups').toBeDefined();
        await run(first.groups!, second.groups!);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    }

    /** Of the answers, the indexes that won (resolved with a revision). */
    const winnersOf = (answers: readonly (string | undefined)[]): number[] => answers.flatMap((answer, i) => (answer === undefined ? [] : [i]));

    it('a group made through one is loaded, listed and updated through the other; a stale revision is refused on both', async () => {
      await withTwo(async (a, b) => {
        const name = 'shared.group one';
        const r1 = (await a.save(name, sampleGroupState(4, 1), undefined))!;
        expect(await b.load(name), 'the other server loads the document and its revision').toEqual({ state: sampleGroupState(4, 1), revision: r1 });
        expect(await b.list(), 'the other server lists it').toEqual([name]);
        expect(await b.save(name, sampleGroupState(4, 2), undefined), 'a create through the other server is refused').toBeUndefined();
        const r2 = await b.save(name, sampleGroupState(4, 3), r1);
        expect(r2, 'an update through the other server with the current revision').toBeDefined();
        expect(await a.save(name, sampleGroupState(4, 4), r1), 'the first server now holds a stale revision').toBeUndefined();
        expect(await a.load(name), "the first server loads the other's write").toEqual({ state: sampleGroupState(4, 3), revision: r2 });
        await a.park(name, sampleParked(7, 1));
        expect(await b.parked(name, 0, 10), 'parked events are shared').toEqual([sampleParked(7, 1)]);
        expect(await b.unpark(name, 7), 'and unparked through the other').toBe(true);
        expect(await a.parked(name, 0, 10), 'gone for both').toEqual([]);
      });
    });

    it('a revision held from before a delete is stale for the group made again since, on every server', async () => {
      await withTwo(async (a, b) => {
        // Revisions are never handed out twice for a name: a server still holding one from
        // before another's delete must not overwrite the group made since.
        const old = (await a.save('again', sampleGroupState(2, 1), undefined))!;
        expect(await b.delete('again'), 'deleted through the other server').toBe(true);
        const made = await b.save('again', sampleGroupState(2, 2), undefined);
        expect(made, 'made again through the other server').toBeDefined();
        expect(await a.save('again', sampleGroupState(2, 3), old), 'the revision from before the delete is stale').toBeUndefined();
        expect(await a.load('again'), 'the group made again is untouched').toEqual({ state: sampleGroupState(2, 2), revision: made });
      });
    });

    it(`${RACERS} creates racing through two servers: exactly one wins, and both load its document`, async () => {
      await withTwo(async (a, b) => {
        const states = Array.from({ length: RACERS }, (_, i) => sampleGroupState(8, i + 1));
        const answers = await Promise.all(states.map((state, i) => (i % 2 === 0 ? a : b).save('race', state, undefined)));
        const winners = winnersOf(answers);
        expect(winners.length, `exactly one create wins (got ${winners.length})`).toBe(1);
        const expected = { state: states[winners[0]!], revision: answers[winners[0]!] };
        expect(await a.load('race'), "the first server loads the winner's document").toEqual(expected);
        expect(await b.load('race'), "the second server loads the winner's document").toEqual(expected);
      });
    });

    it(`${RACERS} saves racing through two servers with the same expected revision, round after round: exactly one wins each round`, async () => {
      await withTwo(async (a, b) => {
        let revision = (await a.save('race', sampleGroupState(8, 0), undefined))!;
        for (let round = 0; round < 5; round++) {
          const states = Array.from({ length: RACERS }, (_, i) => sampleGroupState(8, 10 * (round + 1) + i));
          const answers = await Promise.all(states.map((state, i) => ((i + round) % 2 === 0 ? a : b).save('race', state, revision)));
          const winners = winnersOf(answers);
          expect(winners.length, `round ${round}: exactly one save wins (got ${winners.length})`).toBe(1);
          const expected = { state: states[winners[0]!], revision: answers[winners[0]!] };
          expect(await a.load('race'), `round ${round}: the first server loads the winner's document`).toEqual(expected);
          expect(await b.load('race'), `round ${round}: the second server loads the winner's document`).toEqual(expected);
          revision = answers[winners[0]!]!;
        }
      });
    });

    it('read-modify-write loops on both servers lose no update (each increments a counter of its own partition)', async () => {
      await withTwo(async (a, b) => {
        await a.save('counter', sampleGroupState(2, 0, { lastGen: 0 }), undefined);
        const increments = 10;
        /** Adds 1 to lastGen and to partition `part`'s checkpoint, retrying on a lost race (bounded). */
        const increment = async (groups: GroupStore, part: number): Promise<void> => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const current = (await groups.load('counter'))!;
            const parts = current.state.parts.map((p, i) => (i === part ? { ...p, checkpoint: p.checkpoint + 1 } : p));
            if ((await groups.save('counter', { ...current.state, lastGen: current.state.lastGen + 1, parts }, current.revision)) !== undefined) return;
          }
          throw new Error('200 lost races in a row');
        };
        const start = (await a.load('counter'))!.state.parts.map((p) => p.checkpoint);
        await Promise.all([
          (async () => {
            for (let i = 0; i < increments; i++) await increment(a, 0);
          })(),
          (async () => {
            for (let i = 0; i < increments; i++) await increment(b, 1);
          })(),
        ]);
        const end = (await b.load('counter'))!.state;
        expect(end.lastGen, 'every increment of both servers counted once').toBe(2 * increments);
        expect(end.parts.map((p, i) => p.checkpoint - start[i]!), 'each server its own increments').toEqual([increments, increments]);
      });
    });
  });
}
