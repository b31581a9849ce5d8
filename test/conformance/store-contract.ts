import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput, ExpectedVersion, StoredEvent, StreamSummary } from '../../protocol/frames.js';
import { ChainBrokenError } from '../../protocol/errors.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type {
  AppendOutcome,
  AppendRequest,
  EncodedEvents,
  EventStore,
  EventStoreFactory,
} from '../../server-reference/stores/event-store.js';
import { describeGroupStoreContract } from './store-contract-groups.js';
import { describeProjectionStoreContract } from './store-contract-projections.js';

/** Options of {@link describeEventStore}. */
export interface EventStoreContractOptions {
  /**
   * Skip the whole suite and say why in its name (for example, the database is not running).
   * @default false
   */
  readonly skip?: string | false;
  /**
   * Also require positions to be dense: each written event's `pos` is the previous one's + 1.
   * The interface only requires them to increase; the memory and LMDB stores are dense.
   * @default false
   */
  readonly densePositions?: boolean;
  /**
   * How far `recorded` may be from this machine's clock, in ms (a database server's clock may
   * differ a little from the test runner's).
   * @default 60000
   */
  readonly clockToleranceMs?: number;
  /**
   * Timeout of each test in ms.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/** The keys a stored event always has, whatever the producer set. */
const STORE_FIELDS = ['stream', 'seq', 'pos', 'tx', 'recorded'] as const;

type TestEvent = EventInput & { id: string };

/** An event with a unique id built from `label`. */
function event(id: string, type = 'Tested', extra: Partial<EventInput> = {}): TestEvent {
  return { ...extra, id, type };
}

/** `count` events with ids `${prefix}-1`... */
function events(prefix: string, count: number, type = 'Tested'): TestEvent[] {
  return Array.from({ length: count }, (_, i) => event(`${prefix}-${i + 1}`, type, { data: { n: i + 1 } }));
}

function request(
  stream: string,
  list: readonly TestEvent[],
  expected: ExpectedVersion = 'any',
  dedupe = false,
): AppendRequest {
  return { stream, events: list, expected, dedupe };
}

type Success = Extract<AppendOutcome, { ok: true }>;

/** The outcome as a success, failing the test with `rule` when it is an error. */
function succeeded(outcome: AppendOutcome | undefined, rule: string): Success {
  expect(outcome, `${rule}: append() must return one outcome per request`).toBeDefined();
  if (!outcome!.ok) {
    expect.fail(`${rule}: the append should succeed, but failed with ${outcome!.error.code}: ${outcome!.error.message}`);
  }
  return outcome as Success;
}

/** The outcome's error, failing the test with `rule` when it succeeded or has another code. */
function failed(outcome: AppendOutcome | undefined, code: string, rule: string) {
  expect(outcome, `${rule}: append() must return one outcome per request`).toBeDefined();
  if (outcome!.ok) expect.fail(`${rule}: the append should fail with ${code}, but it succeeded`);
  const { error } = outcome as Extract<AppendOutcome, { ok: false }>;
  expect(error.code, `${rule}: error code`).toBe(code);
  return error;
}

async function appendOne(store: EventStore, append: AppendRequest): Promise<AppendOutcome> {
  const outcomes = await store.append([append]);
  expect(outcomes, 'append() returns one outcome per request').toHaveLength(1);
  return outcomes[0]!;
}

/** Resolves after the local clock has moved past `time` (bounded: at most ~1 s). */
async function clockPast(time: number): Promise<void> {
  for (let i = 0; i < 200 && Date.now() <= time; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Every event of the store in position order, read in pages (bounded). */
async function readEverything(store: EventStore, pageSize = 100): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let from = 1;
  for (let page = 0; page < 10_000; page++) {
    const batch = await store.readAll(from, 'forward', pageSize);
    all.push(...batch);
    if (batch.length < pageSize) return all;
    from = batch[batch.length - 1]!.pos + 1;
  }
  throw new Error('readEverything: more than 10000 pages');
}

function ids(list: readonly StoredEvent[]): string[] {
  return list.map((e) => e.id);
}

/** Rounds of {@link expectReadsSeeOnlyCommitted}, and the events of each round's requests. */
const ISOLATION_ROUNDS = 4;
const ISOLATION_WRITTEN = 200;
const ISOLATION_FAILING = 100;
/** Most reads made while one append is in flight (bounded even for a store that never settles). */
const ISOLATION_MAX_POLLS = 2_000;

/**
 * Appends calls of two requests, one that holds (200 events to a new stream) and one that fails
 * on its last event (an id stored in another stream: `duplicate-id`), and reads the store over
 * and over while each call is in flight, checking that every read sees only committed appends:
 * all of a request or nothing of it, nothing of the failing request, every earlier commit, and a
 * head position that never goes back. A database store that reads through its write connection
 * while that connection's transaction is open (so that it sees rows not yet committed, or rolled
 * back to a savepoint later) fails here; a store whose reads use their own connections or a
 * snapshot, or that writes a call at once, passes. Exported for the test that proves it can fail.
 *
 * Expects a fresh store; throws an assertion error naming what a read saw.
 */
export async function expectReadsSeeOnlyCommitted(store: EventStore): Promise<void> {
  succeeded(await appendOne(store, request('iso-taken', [event('iso-taken-1')])), 'setup');
  let committed = 1;
  let highestHead = 0;
  for (let round = 0; round < ISOLATION_ROUNDS; round++) {
    const holds = `iso-holds-${round}`;
    const fails = `iso-fails-${round}`;
    const failing = [...events(`iso-${round}-f`, ISOLATION_FAILING - 1), event('iso-taken-1')];
    let settled = false;
    const call = store.append([request(holds, events(`iso-${round}-h`, ISOLATION_WRITTEN)), request(fails, failing)]);
    void call.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The first read goes out before this function waits for anything: in the middle of the call.
    for (let poll = 0; poll < ISOLATION_MAX_POLLS && (poll === 0 || !settled); poll++) {
      const seen = `uncommitted reads (round ${round}, read ${poll}, append ${settled ? 'settled' : 'in flight'})`;
      const [ofHolds, ofFails, all, found, holdsInfo, failsInfo, head] = await Promise.all([
        store.readStream(holds, 1, 'forward', 1_000),
        store.readStream(fails, 1, 'forward', 1_000),
        store.readAll(1, 'forward', 10_000),
        store.findEvent(`iso-${round}-f-1`),
        store.streamInfo(holds),
        store.streamInfo(fails),
        store.headPosition(),
      ]);
      expect([0, ISOLATION_WRITTEN], `${seen}: readStream sees all ${ISOLATION_WRITTEN} events of a request or none, not ${ofHolds.length}`).toContain(
        ofHolds.length,
      );
      expect([undefined, ISOLATION_WRITTEN], `${seen}: streamInfo's head is all of a request or nothing`).toContain(holdsInfo?.head);
      expect(ofFails.length, `${seen}: readStream sees nothing of a request that fails (${ofFails.length} events seen)`).toBe(0);
      expect(found, `${seen}: findEvent finds nothing of a request that fails`).toBeUndefined();
      expect(failsInfo, `${seen}: streamInfo knows no stream that only a failing request wrote to`).toBeUndefined();
      const fromFails = all.filter((e) => e.stream === fails).length;
      expect(fromFails, `${seen}: readAll sees nothing of a request that fails`).toBe(0);
      const fromHolds = all.filter((e) => e.stream === holds).length;
      expect([0, ISOLATION_WRITTEN], `${seen}: readAll sees all of a request or none, not ${fromHolds} events`).toContain(fromHolds);
      expect(all.length, `${seen}: readAll sees every event committed before the call, and the call's whole request or nothing`).toBe(
        committed + fromHolds,
      );
      expect(head, `${seen}: headPosition never goes back (it was ${highestHead})`).toBeGreaterThanOrEqual(highestHead);
      highestHead = head;
      // A turn of the event loop between reads: a store whose reads answer at once must not
      // keep its own write (file or network I/O) from going on.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const [holdsOutcome, failsOutcome] = await call;
    const written = succeeded(holdsOutcome, 'uncommitted reads: the request that holds');
    failed(failsOutcome, 'duplicate-id', 'uncommitted reads: the request whose last id is stored in another stream');
    committed += ISOLATION_WRITTEN;
    expect(await store.headPosition(), 'uncommitted reads: the head after the call is its last event').toBe(written.positions.at(-1));
    expect((await store.readStream(fails, 1, 'forward', 1_000)).length, 'uncommitted reads: the failing request wrote nothing').toBe(0);
  }
}

/**
 * The EventStore contract: registers a vitest suite that checks a store against the rules of
 * `append`, reads, lookups and commit notifications (see the protocol's semantics, "append").
 * Every test starts from a fresh, empty store made by `factory` and closes it afterwards. Test
 * names and assertion messages name the rule, so a failing store learns which rule it broke.
 *
 * @example
 * // test/stores/memory-store.int.test.ts
 * describeEventStore('memory', () => Promise.resolve(new MemoryStore()), { densePositions: true });
 */
export function describeEventStore(
  name: string,
  factory: EventStoreFactory,
  options: EventStoreContractOptions = {},
): void {
  const dense = options.densePositions ?? false;
  const tolerance = options.clockToleranceMs ?? 60_000;
  const title = options.skip ? `EventStore contract: ${name} (skipped: ${options.skip})` : `EventStore contract: ${name}`;

  describe.skipIf(Boolean(options.skip))(title, { timeout: options.timeoutMs ?? 30_000 }, () => {
    let store: EventStore;
    let closed = false;

    beforeEach(async () => {
      store = await factory();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
    });

    /** Checks that positions increase (and are dense when the store promises it). */
    function expectPositionsIncrease(list: readonly number[], rule: string): void {
      for (let i = 1; i < list.length; i++) {
        expect(list[i]!, `${rule}: positions increase store-wide (${list.join(',')})`).toBeGreaterThan(list[i - 1]!);
        if (dense) expect(list[i], `${rule}: positions are dense (${list.join(',')})`).toBe(list[i - 1]! + 1);
      }
    }

    describe('append', () => {
      it('seq is dense per stream from 1, pos increases store-wide, tx starts at 1 and grows by 1 per append', async () => {
        const a1 = succeeded(await appendOne(store, request('a', events('a1', 3))), 'first append to a');
        const b1 = succeeded(await appendOne(store, request('b', events('b1', 2))), 'first append to b');
        const a2 = succeeded(await appendOne(store, request('a', events('a2', 1))), 'second append to a');
        expect(a1.seqs, 'seq: the first event of a stream is 1, then +1 per event').toEqual([1, 2, 3]);
        expect(b1.seqs, 'seq: dense per stream, independent of other streams').toEqual([1, 2]);
        expect(a2.seqs, 'seq: continues after the stream head').toEqual([4]);
        expect([a1.tx, b1.tx, a2.tx], 'tx: per stream, first is 1, +1 per append').toEqual([1, 1, 2]);
        expect(a1.dups, 'dups: empty when nothing was a duplicate').toEqual([]);
        const positions = [...a1.positions, ...b1.positions, ...a2.positions];
        expect(positions[0], 'pos: positive').toBeGreaterThan(0);
        expectPositionsIncrease(positions, 'pos');
        if (dense) expect(positions[0], 'pos: the first event of an empty store is 1').toBe(1);
        for (const [outcome, stream] of [
          [a1, 'a'],
          [b1, 'b'],
          [a2, 'a'],
        ] as const) {
          expect(
            outcome.written.map((e) => [e.stream, e.seq, e.pos, e.tx]),
            'written: the events this append wrote, with their stream, seq, pos and tx',
          ).toEqual(outcome.seqs.map((seq, i) => [stream, seq, outcome.positions[i], outcome.tx]));
        }
        const stored = await store.readStream('a', 1, 'forward', 10);
        expect(stored, 'written: equals what a read returns').toEqual([...a1.written, ...a2.written]);
      });

      it('stores the producer fields as given plus stream, seq, pos, tx and recorded; undefined fields are absent', async () => {
        const full = event('full', 'Full', {
          key: 'k-1',
          data: { text: 'héllo', n: 42, f: 1.5, yes: true, none: null, list: [1, 'two', { three: 3 }], nested: { a: { b: [] } } },
          meta: { origin: 'test', trace: 'abc' },
          time: 1_700_000_000_000,
          causation: 'cause-1',
          correlation: 'corr-1',
          schema: 'https://example.com/schema/full',
        });
        const bare = event('bare', 'Bare');
        const explicitUndefined: TestEvent = { id: 'undef', type: 'Undef', key: undefined, data: undefined, meta: undefined };
        const nullData = event('null-data', 'Null', { data: null });
        const before = Date.now();
        const ok = succeeded(await appendOne(store, request('fields', [full, bare, explicitUndefined, nullData])), 'append');
        const after = Date.now();
        const [storedFull, storedBare, storedUndefined, storedNull] = await store.readStream('fields', 1, 'forward', 10);

        const { id: _id, type: _type, ...producerFields } = full;
        expect(storedFull, 'stored event: every producer field comes back unchanged').toMatchObject({
          id: 'full',
          type: 'Full',
          ...producerFields,
          stream: 'fields',
          seq: 1,
          pos: ok.positions[0],
          tx: 1,
        });
        expect(Object.keys(storedFull!).sort(), 'stored event: producer fields plus the store fields, nothing else').toEqual(
          [...Object.keys(full), ...STORE_FIELDS].sort(),
        );
        expect(Object.keys(storedBare!).sort(), 'stored event: unset optional fields are absent').toEqual(
          ['id', 'type', ...STORE_FIELDS].sort(),
        );
        expect(
          Object.keys(storedUndefined!).sort(),
          'stored event: optional fields that are undefined are not keys of the stored event',
        ).toEqual(['id', 'type', ...STORE_FIELDS].sort());
        expect(storedNull!.data, 'stored event: null data is a value and comes back as null').toBeNull();
        for (const stored of [storedFull!, storedBare!, storedUndefined!, storedNull!]) {
          expect(stored.recorded, 'recorded: the store clock in ms since the epoch').toBeGreaterThanOrEqual(before - tolerance);
          expect(stored.recorded, 'recorded: the store clock in ms since the epoch').toBeLessThanOrEqual(after + tolerance);
        }
        expect(ok.written, 'written: the stored events').toEqual([storedFull, storedBare, storedUndefined, storedNull]);
      });

      it('keeps data and meta exactly: __proto__ and constructor keys as own properties, any Unicode, numbers of every size, 100 levels deep', async () => {
        // As JSON.parse and the codecs make them: `__proto__` an own property, never the prototype.
        const data = JSON.parse(
          '{"__proto__":{"__proto__":[1,{"constructor":null}]},"constructor":"c","toString":0,"é😀\\u0000":"e\\u0301","big":9007199254740993,"tiny":5e-324,"neg":-1.5e300}',
        ) as Record<string, unknown>;
        const meta = JSON.parse('{"__proto__":"m","constructor":"n"}') as Record<string, string>;
        let deep: unknown = 'bottom';
        for (let level = 0; level < 100; level++) deep = level % 2 === 0 ? [deep] : { level: deep };
        succeeded(await appendOne(store, request('exact', [event('exact-1', 'Exact', { data, meta }), event('exact-2', 'Deep', { data: deep })])), 'append');
        const shape = (value: unknown): unknown =>
          Array.isArray(value)
            ? value.map(shape)
            : typeof value === 'object' && value !== null
              ? [Object.getPrototypeOf(value) === Object.prototype, Object.getOwnPropertyNames(value).map((key) => [key, shape((value as Record<string, unknown>)[key])])]
              : value;
        const [first, second] = await store.readStream('exact', 1, 'forward', 10);
        expect(shape(first?.data), 'data: every key an own property, every value as given').toEqual(shape(data));
        expect(shape(first?.meta), 'meta: every key an own property').toEqual(shape(meta));
        expect(second?.data, 'data nested 100 levels comes back whole').toEqual(deep);
        const [found] = await store.readAll(1, 'forward', 10, 'exact');
        expect(shape(found?.data), 'readAll: the same').toEqual(shape(data));
      });

      it('recorded is non-decreasing store-wide', async () => {
        for (let i = 0; i < 5; i++) {
          succeeded(await appendOne(store, request(`r${i % 2}`, events(`r-${i}`, 3))), 'append');
        }
        const all = await readEverything(store);
        expect(all, 'every appended event is stored').toHaveLength(15);
        for (let i = 1; i < all.length; i++) {
          expect(all[i]!.recorded, 'recorded: non-decreasing in position order').toBeGreaterThanOrEqual(all[i - 1]!.recorded);
        }
      });

      it('is atomic: a request that fails writes none of its events', async () => {
        succeeded(await appendOne(store, request('other', [event('taken')])), 'setup');
        succeeded(await appendOne(store, request('atomic', events('base', 2))), 'setup');
        const headBefore = await store.headPosition();

        // The third event's id lives in another stream: the first two must not be written either.
        failed(
          await appendOne(store, request('atomic', [event('new-1'), event('new-2'), event('taken')])),
          'duplicate-id',
          'atomicity (duplicate-id on the last event)',
        );
        // Wrong expected version with several events.
        failed(await appendOne(store, request('atomic', events('wev', 3), 7)), 'wrong-expected-version', 'atomicity');
        // The same id twice in one append.
        failed(
          await appendOne(store, request('atomic', [event('twice'), event('once'), event('twice')])),
          'bad-frame',
          'atomicity (same id twice)',
        );

        for (const id of ['new-1', 'new-2', 'wev-1', 'wev-2', 'wev-3', 'twice', 'once']) {
          expect(await store.findEvent(id), `atomicity: event ${id} of a failed append must not be stored`).toBeUndefined();
        }
        expect(ids(await store.readStream('atomic', 1, 'forward', 10)), 'atomicity: the stream is unchanged').toEqual([
          'base-1',
          'base-2',
        ]);
        expect(await store.headPosition(), 'atomicity: a failed append moves no position').toBe(headBefore);
        const next = succeeded(await appendOne(store, request('atomic', [event('after')])), 'append after failures');
        expect(next.seqs, 'atomicity: a failed append uses up no seq').toEqual([3]);
        expect(next.tx, 'atomicity: a failed append uses up no tx').toBe(2);
      });

      it('applies the requests of one call in order, each atomically, and answers one outcome per request', async () => {
        const outcomes = await store.append([
          request('x', events('x1', 2)),
          request('y', events('y1', 1), 5),
          request('y', events('y2', 1), 'none'),
          request('x', events('x2', 1)),
        ]);
        expect(outcomes, 'one outcome per request, in order').toHaveLength(4);
        const x1 = succeeded(outcomes[0], 'request 1');
        failed(outcomes[1], 'wrong-expected-version', 'request 2');
        // y's chain broke at request 2, so request 3 fails even though its own check would pass.
        failed(outcomes[2], 'chain-broken', 'request 3 after a failure on the same stream');
        const x2 = succeeded(outcomes[3], 'request 4');
        expect(x2.seqs, 'requests of one call see the earlier requests of the call').toEqual([3]);
        expect(x2.tx, 'each request of a call is its own transaction').toBe(2);
        expectPositionsIncrease([...x1.positions, ...x2.positions], 'requests of one call apply in order');
        expect(await store.streamInfo('y'), 'failed requests write nothing').toBeUndefined();
      });
    });

    describe('expected version', () => {
      async function expectWrongVersion(stream: string, expected: ExpectedVersion, actual: number, rule: string) {
        const error = failed(await appendOne(store, request(stream, [event(`${rule}-${String(expected)}`)], expected)), 'wrong-expected-version', rule);
        expect(error.details, `${rule}: the error names the stream, the expected and the actual version`).toEqual({
          stream,
          expected,
          actual,
        });
      }

      it("'any' never fails", async () => {
        succeeded(await appendOne(store, request('v', [event('v1')], 'any')), "'any' on an empty stream");
        succeeded(await appendOne(store, request('v', [event('v2')], 'any')), "'any' on a stream with events");
      });

      it("'none' holds only for a stream without events; the error gives the actual version", async () => {
        succeeded(await appendOne(store, request('v', events('v', 2), 'none')), "'none' on an empty stream");
        await expectWrongVersion('v', 'none', 2, "'none' on a stream with events");
      });

      it("'exists' holds only for a stream with events; the error gives the actual version 0", async () => {
        await expectWrongVersion('v', 'exists', 0, "'exists' on an empty stream");
        succeeded(await appendOne(store, request('v', [event('v1')], 'any')), 'setup');
        succeeded(await appendOne(store, request('v', [event('v2')], 'exists')), "'exists' on a stream with events");
      });

      it('a number n holds only when the head seq is n (0 = empty); the error gives the actual version', async () => {
        succeeded(await appendOne(store, request('v', [event('v1')], 0)), 'expected 0 on an empty stream');
        await expectWrongVersion('v', 0, 1, 'expected 0 on a stream with one event');
        await expectWrongVersion('v', 2, 1, 'expected a version beyond the head');
        succeeded(await appendOne(store, request('v', events('v-more', 3), 1)), 'expected equal to the head');
        await expectWrongVersion('v', 1, 4, 'expected a version behind the head');
        succeeded(await appendOne(store, request('v', [event('v5')], 4)), 'expected equal to the new head');
        await expectWrongVersion('empty', 3, 0, 'expected a number on an empty stream');
      });
    });

    describe('idempotent ids', () => {
      it('an id already stored in the same stream writes nothing and answers its original seq and pos in dups', async () => {
        const first = succeeded(await appendOne(store, request('s', events('e', 2))), 'first append');
        const second = succeeded(
          await appendOne(store, request('s', [event('e-2'), event('e-3')])),
          'append repeating one id (partial duplicate)',
        );
        expect(second.dups, 'idempotency: the duplicate index is listed in dups').toEqual([0]);
        expect(second.seqs, 'idempotency: the duplicate gets its original seq, the new event the next one').toEqual([2, 3]);
        expect(second.positions[0], 'idempotency: the duplicate gets its original pos').toBe(first.positions[1]);
        expect(ids(second.written), 'idempotency: only the new event is written').toEqual(['e-3']);
        expect(second.tx, 'idempotency: a partial duplicate is a new transaction').toBe(2);
        expect(ids(await store.readStream('s', 1, 'forward', 10)), 'idempotency: nothing is stored twice').toEqual([
          'e-1',
          'e-2',
          'e-3',
        ]);
      });

      it('a retry whose every event is stored answers the original tx, seqs and positions without checking the expected version', async () => {
        const original = succeeded(await appendOne(store, request('s', events('e', 2), 'none')), 'original append');
        succeeded(await appendOne(store, request('s', [event('later')])), 'a later append');
        const retry = succeeded(
          await appendOne(store, request('s', events('e', 2), 'none')),
          "retry with expected 'none' on a stream that now has events",
        );
        expect(retry.tx, 'idempotency: an all-duplicate retry answers the original tx').toBe(original.tx);
        expect(retry.seqs, 'idempotency: original seqs').toEqual(original.seqs);
        expect(retry.positions, 'idempotency: original positions').toEqual(original.positions);
        expect(retry.dups, 'idempotency: every index is a dup').toEqual([0, 1]);
        expect(retry.written, 'idempotency: an all-duplicate retry writes nothing').toEqual([]);
        const info = await store.streamInfo('s');
        expect(info?.head, 'idempotency: the retry did not move the head').toBe(3);
        expect(info?.tx, 'idempotency: the retry used up no tx').toBe(2);
      });

      it('an all-duplicate retry of a later transaction answers that transaction', async () => {
        succeeded(await appendOne(store, request('s', events('one', 1))), 'tx 1');
        const second = succeeded(await appendOne(store, request('s', events('two', 2))), 'tx 2');
        const retry = succeeded(await appendOne(store, request('s', events('two', 2), 7)), 'retry of tx 2');
        expect(retry.tx, 'idempotency: the tx of the first event of the retry').toBe(second.tx);
        expect(retry.seqs, 'idempotency: original seqs').toEqual([2, 3]);
      });

      it('a partial duplicate checks the expected version', async () => {
        succeeded(await appendOne(store, request('s', [event('e-1')])), 'setup');
        failed(
          await appendOne(store, request('s', [event('e-1'), event('e-2')], 'none')),
          'wrong-expected-version',
          'idempotency: not every event is a duplicate, so the expected version is checked',
        );
      });

      it('an id stored in another stream fails the append with duplicate-id and writes nothing', async () => {
        succeeded(await appendOne(store, request('s1', [event('shared')])), 'setup');
        const error = failed(
          await appendOne(store, request('s2', [event('fresh'), event('shared')])),
          'duplicate-id',
          'idempotency: an id is unique store-wide',
        );
        expect(error.message.length, 'errors carry a message').toBeGreaterThan(0);
        expect(await store.streamInfo('s2'), 'idempotency: nothing written to s2').toBeUndefined();
        expect((await store.findEvent('shared'))?.stream, 'idempotency: the original stays where it was').toBe('s1');
      });

      it('the same id twice in one append fails with bad-frame', async () => {
        failed(
          await appendOne(store, request('s', [event('a'), event('a')])),
          'bad-frame',
          'idempotency: the same id twice in one append',
        );
        expect(await store.headPosition(), 'nothing written').toBe(0);
      });

      it('ids are checked against the earlier requests of the same call', async () => {
        const outcomes = await store.append([
          request('s', [event('x')]),
          request('s', [event('x')]),
          request('t', [event('y')]),
          request('u', [event('y')]),
        ]);
        const first = succeeded(outcomes[0], 'request 1');
        const repeat = succeeded(outcomes[1], 'request 2 repeats the id of request 1 in the same stream');
        expect(repeat.dups, 'idempotency within one call: dup').toEqual([0]);
        expect(repeat.positions, 'idempotency within one call: original position').toEqual(first.positions);
        expect(repeat.tx, 'idempotency within one call: original tx').toBe(first.tx);
        succeeded(outcomes[2], 'request 3');
        failed(outcomes[3], 'duplicate-id', 'idempotency within one call: id of request 3 in another stream');
      });
    });

    describe('content de-duplication', () => {
      it("with dedupe, an event equal to its key's newest event (type and deep-equal data) writes nothing and answers that event's seq and pos", async () => {
        const first = succeeded(
          await appendOne(store, request('d', [event('a', 'Set', { key: 'k', data: { x: 1, y: [1, { z: 2 }] } })])),
          'first',
        );
        const again = succeeded(
          await appendOne(
            store,
            request('d', [event('b', 'Set', { key: 'k', data: { y: [1, { z: 2 }], x: 1 } })], 'any', true),
          ),
          'same type and data, properties in another order',
        );
        expect(again.dups, 'dedupe: the duplicate is listed in dups').toEqual([0]);
        expect(again.seqs, "dedupe: answers the key's newest event's seq").toEqual(first.seqs);
        expect(again.positions, "dedupe: answers the key's newest event's pos").toEqual(first.positions);
        expect(again.tx, 'dedupe: all duplicates: the tx of the original').toBe(first.tx);
        expect(again.written, 'dedupe: nothing written').toEqual([]);
        expect(await store.findEvent('b'), 'dedupe: the duplicate is not stored').toBeUndefined();
        const next = succeeded(await appendOne(store, request('d', [event('c', 'Set', { key: 'other' })], 'any', true)), 'next');
        expect(next.tx, 'dedupe: a write that wrote nothing used up no tx').toBe(2);
        expect(next.seqs, 'dedupe: a write that wrote nothing used up no seq').toEqual([2]);
      });

      it('a key whose newest event has no data is a duplicate of another event without data', async () => {
        succeeded(await appendOne(store, request('d', [event('a', 'Ping', { key: 'k' })])), 'first');
        const again = succeeded(await appendOne(store, request('d', [event('b', 'Ping', { key: 'k' })], 'any', true)), 'again');
        expect(again.dups, 'dedupe: absent data equals absent data').toEqual([0]);
      });

      it('another type, other data, or a newer event of the key in between is not a duplicate', async () => {
        succeeded(await appendOne(store, request('d', [event('a', 'Set', { key: 'k', data: { v: 1 } })])), 'first');
        const outcome = succeeded(
          await appendOne(
            store,
            request(
              'd',
              [
                event('b', 'Other', { key: 'k', data: { v: 1 } }),
                event('c', 'Other', { key: 'k', data: { v: 2 } }),
                event('d', 'Set', { key: 'k', data: { v: 1 } }),
              ],
              'any',
              true,
            ),
          ),
          'append',
        );
        expect(outcome.dups, 'dedupe: only an equal type and data of the newest event of the key is a duplicate').toEqual([]);
        expect(ids(outcome.written), 'dedupe: all written').toEqual(['b', 'c', 'd']);
      });

      it('earlier events of the same append count as the newest of their key', async () => {
        const outcome = succeeded(
          await appendOne(
            store,
            request(
              'd',
              [
                event('a', 'Set', { key: 'k', data: { v: 1 } }),
                event('b', 'Set', { key: 'k', data: { v: 1 } }),
                event('c', 'Set', { key: 'j', data: { v: 1 } }),
                event('d', 'Set', { key: 'k', data: { v: 2 } }),
                event('e', 'Set', { key: 'k', data: { v: 2 } }),
              ],
              'any',
              true,
            ),
          ),
          'append',
        );
        expect(outcome.dups, 'dedupe: within one append').toEqual([1, 4]);
        expect(outcome.seqs, 'dedupe: duplicates answer the seq of the earlier event of the append').toEqual([1, 1, 2, 3, 3]);
        expect(outcome.positions[1], 'dedupe: and its pos').toBe(outcome.positions[0]);
        expect(outcome.positions[4], 'dedupe: and its pos').toBe(outcome.positions[3]);
        expect(ids(outcome.written), 'dedupe: written').toEqual(['a', 'c', 'd']);
      });

      it('events without a key are never content-deduplicated', async () => {
        succeeded(await appendOne(store, request('d', [event('a', 'Set', { data: { v: 1 } })])), 'first');
        const outcome = succeeded(
          await appendOne(
            store,
            request('d', [event('b', 'Set', { data: { v: 1 } }), event('c', 'Set', { data: { v: 1 } })], 'any', true),
          ),
          'append',
        );
        expect(outcome.dups, 'dedupe: no key, no de-duplication').toEqual([]);
        expect(outcome.written, 'dedupe: all written').toHaveLength(2);
      });

      it('without dedupe, equal events are all written', async () => {
        succeeded(await appendOne(store, request('d', [event('a', 'Set', { key: 'k', data: { v: 1 } })])), 'first');
        const outcome = succeeded(
          await appendOne(store, request('d', [event('b', 'Set', { key: 'k', data: { v: 1 } })], 'any', false)),
          'append',
        );
        expect(outcome.dups, 'dedupe is opt-in: off means no content de-duplication').toEqual([]);
        expect(outcome.seqs, 'written').toEqual([2]);
      });

      it('keys are per stream', async () => {
        succeeded(await appendOne(store, request('d1', [event('a', 'Set', { key: 'k', data: { v: 1 } })])), 'first');
        const outcome = succeeded(
          await appendOne(store, request('d2', [event('b', 'Set', { key: 'k', data: { v: 1 } })], 'any', true)),
          'same key and data in another stream',
        );
        expect(outcome.dups, 'dedupe compares with the newest event of the key in the same stream only').toEqual([]);
      });

      it('mixes with id duplicates: dups lists both kinds', async () => {
        succeeded(
          await appendOne(store, request('d', [event('a', 'Set', { key: 'k', data: { v: 1 } }), event('b', 'Note')])),
          'first',
        );
        const outcome = succeeded(
          await appendOne(
            store,
            request('d', [event('b', 'Note'), event('c', 'Set', { key: 'k', data: { v: 1 } }), event('d', 'Note')], 'any', true),
          ),
          'append',
        );
        expect(outcome.dups, 'dups: the id duplicate and the content duplicate').toEqual([0, 1]);
        expect(outcome.seqs, 'seqs: originals for dups, the next seq for the new event').toEqual([2, 1, 3]);
      });
    });

    describe('chain-broken', () => {
      it('after a request to a stream fails, later requests to it in the same call fail with chain-broken and write nothing; other streams go on', async () => {
        succeeded(await appendOne(store, request('a', [event('a0')])), 'setup');
        const outcomes = await store.append([
          request('a', [event('a1')], 5),
          request('a', [event('a2')]),
          request('b', [event('b1')]),
          request('a', [event('a3')], 'exists'),
          request('b', [event('b2')]),
        ]);
        failed(outcomes[0], 'wrong-expected-version', 'the first failure');
        const broken = failed(outcomes[1], 'chain-broken', 'chain-broken: a later request to the failed stream');
        expect(broken.details, 'chain-broken: details name the stream').toEqual({ stream: 'a' });
        succeeded(outcomes[2], 'chain-broken: another stream is unaffected');
        failed(outcomes[3], 'chain-broken', 'chain-broken: every later request to the failed stream');
        succeeded(outcomes[4], 'chain-broken: another stream is unaffected');
        expect(ids(await store.readStream('a', 1, 'forward', 10)), 'chain-broken: nothing written to the stream').toEqual(['a0']);
        succeeded(await appendOne(store, request('a', [event('a4')])), 'chain-broken lasts for one call only');
      });

      it('a store that decides appends in order honours the hooks: refuse before each request, onDecided before the next call is decided', async (context) => {
        if (store.decidesAppendsInOrder !== true) {
          context.skip('the store does not say it decides appends in order (optional)');
          return;
        }
        const heard: string[] = [];
        // Three calls made at once, none awaited: each is decided after the one before and sees its writes.
        const first = store.append([request('a', [event('h1')]), request('a', [event('h2')], 9)], {
          refuse: (index) => {
            heard.push(`first refuse ${index}`);
            return undefined;
          },
          onDecided: (outcomes) => heard.push(`first decided ${outcomes.map((outcome) => outcome.ok).join()}`),
        });
        const second = store.append([request('a', [event('h3')], 1), request('b', [event('h4')]), request('a', [event('h5')])], {
          refuse: (index) => {
            heard.push(`second refuse ${index}`);
            return index === 0 ? new ChainBrokenError('a') : undefined;
          },
          onDecided: (outcomes) => heard.push(`second decided ${outcomes.map((outcome) => outcome.ok).join()}`),
        });
        const third = store.append([request('a', [event('h6')], 1)], {
          onDecided: () => heard.push('third decided'),
        });
        const [firstOutcomes, secondOutcomes, thirdOutcomes] = await Promise.all([first, second, third]);
        expect(heard, 'hooks: asked in order, each call decided before the next is').toEqual([
          'first refuse 0',
          'first refuse 1',
          'first decided true,false',
          'second refuse 0',
          'second refuse 1',
          'second decided false,true,false',
          'third decided',
        ]);
        succeeded(firstOutcomes[0], 'hooks: a request refuse let through');
        failed(firstOutcomes[1], 'wrong-expected-version', 'hooks: the store still checks what refuse let through');
        failed(secondOutcomes[0], 'chain-broken', 'hooks: refused with the error refuse gave');
        succeeded(secondOutcomes[1], 'hooks: another stream after a refusal');
        // Refused, the request broke its stream's chain in the call: refuse is not asked again for it.
        failed(secondOutcomes[2], 'chain-broken', 'hooks: a later request to the refused stream in the call');
        succeeded(thirdOutcomes[0], 'hooks: a later call sees the writes of the calls before it (expected 1)');
        expect(ids(await store.readStream('a', 1, 'forward', 10)), 'hooks: a refused request wrote nothing').toEqual(['h1', 'h6']);
      });

      it('an id failure breaks the chain too', async () => {
        succeeded(await appendOne(store, request('other', [event('taken')])), 'setup');
        const outcomes = await store.append([request('a', [event('taken')]), request('a', [event('fine')])]);
        failed(outcomes[0], 'duplicate-id', 'the failure');
        failed(outcomes[1], 'chain-broken', 'chain-broken after any error');
      });
    });

    describe('reads', () => {
      /** Two interleaved streams: returns every event in position order. */
      async function interleaved(): Promise<StoredEvent[]> {
        for (let i = 1; i <= 7; i++) {
          succeeded(await appendOne(store, request('r', [event(`r-${i}`)])), 'setup');
          if (i % 2 === 0) succeeded(await appendOne(store, request('q', [event(`q-${i}`), event(`q-${i}b`)])), 'setup');
        }
        return readEverything(store);
      }

      it('readStream forward from every seq returns the events from that seq inclusive, at most limit', async () => {
        await interleaved();
        const stream = await store.readStream('r', 1, 'forward', 100);
        expect(stream.map((e) => e.seq), 'readStream: the whole stream in seq order').toEqual([1, 2, 3, 4, 5, 6, 7]);
        for (let from = 0; from <= 9; from++) {
          for (const limit of [1, 2, 3, 7, 100]) {
            const expected = stream.filter((e) => e.seq >= from).slice(0, limit);
            expect(await store.readStream('r', from, 'forward', limit), `readStream forward from ${from} limit ${limit}`).toEqual(
              expected,
            );
          }
        }
      });

      it('readStream backward from every seq returns the events down from that seq inclusive; from beyond the head starts at the head', async () => {
        await interleaved();
        const stream = await store.readStream('r', 1, 'forward', 100);
        for (let from = 0; from <= 9; from++) {
          for (const limit of [1, 2, 3, 7, 100]) {
            const expected = stream
              .filter((e) => e.seq <= from)
              .reverse()
              .slice(0, limit);
            expect(await store.readStream('r', from, 'backward', limit), `readStream backward from ${from} limit ${limit}`).toEqual(
              expected,
            );
          }
        }
        expect(
          (await store.readStream('r', Number.MAX_SAFE_INTEGER, 'backward', 2)).map((e) => e.seq),
          'readStream backward from far beyond the head starts at the head',
        ).toEqual([7, 6]);
      });

      it('readStream of a stream without events is empty', async () => {
        await interleaved();
        expect(await store.readStream('nothing', 1, 'forward', 10), 'readStream: unknown stream').toEqual([]);
        expect(await store.readStream('nothing', 10, 'backward', 10), 'readStream: unknown stream').toEqual([]);
        expect(await store.readStream('r-', 1, 'forward', 10), 'readStream: a stream name is not a prefix').toEqual([]);
      });

      it('readAll forward and backward from every position returns events in position order, from inclusive, at most limit', async () => {
        const all = await interleaved();
        expect(all, 'readAll: every event').toHaveLength(13);
        expectPositionsIncrease(
          all.map((e) => e.pos),
          'readAll',
        );
        const head = all[all.length - 1]!.pos;
        const starts = [0, ...all.flatMap((e) => [e.pos, e.pos + 1]), head + 5];
        for (const from of starts) {
          for (const limit of [1, 3, 13, 100]) {
            expect(await store.readAll(from, 'forward', limit), `readAll forward from ${from} limit ${limit}`).toEqual(
              all.filter((e) => e.pos >= from).slice(0, limit),
            );
            expect(await store.readAll(from, 'backward', limit), `readAll backward from ${from} limit ${limit}`).toEqual(
              all
                .filter((e) => e.pos <= from)
                .reverse()
                .slice(0, limit),
            );
          }
        }
        expect(
          ids(await store.readAll(Number.MAX_SAFE_INTEGER, 'backward', 1)),
          'readAll backward from far beyond the head starts at the head',
        ).toEqual([all[all.length - 1]!.id]);
      });

      it("readAll with a prefix returns only streams whose name starts with it; '' and undefined mean every stream", async () => {
        const names = ['orders.1', 'users.1', 'orders.2', 'ordersx', 'orders.1', 'other'];
        for (const [i, stream] of names.entries()) {
          succeeded(await appendOne(store, request(stream, [event(`p-${i}`), event(`p-${i}b`)])), 'setup');
        }
        const all = await readEverything(store);
        const head = all[all.length - 1]!.pos;
        for (const prefix of ['orders.', 'orders', 'o', 'users.1', 'nothing']) {
          const matching = all.filter((e) => e.stream.startsWith(prefix));
          for (const from of [0, ...all.map((e) => e.pos), head + 1]) {
            for (const limit of [1, 2, 5, 100]) {
              expect(await store.readAll(from, 'forward', limit, prefix), `readAll prefix '${prefix}' forward from ${from} limit ${limit}`).toEqual(
                matching.filter((e) => e.pos >= from).slice(0, limit),
              );
              expect(await store.readAll(from, 'backward', limit, prefix), `readAll prefix '${prefix}' backward from ${from} limit ${limit}`).toEqual(
                matching
                  .filter((e) => e.pos <= from)
                  .reverse()
                  .slice(0, limit),
              );
            }
          }
        }
        expect(await store.readAll(1, 'forward', 100, ''), "readAll: prefix '' is every stream").toEqual(all);
        expect(await store.readAll(1, 'forward', 100, undefined), 'readAll: no prefix is every stream').toEqual(all);
      });

      it('readStreamEncoded and readAllEncoded, where the store has them, are the msgpack encodings of what readStream and readAll return', async (context) => {
        if (store.readStreamEncoded === undefined && store.readAllEncoded === undefined) {
          context.skip('the store has no encoded reads (they are optional)');
          return;
        }
        const all = await interleaved();
        const decoded = ({ positions, ends, bytes }: EncodedEvents) => {
          expect(ends, 'one end per position').toHaveLength(positions.length);
          expect(bytes.length, 'the bytes end where the last event does').toBe(ends[ends.length - 1] ?? 0);
          return positions.map((position, i) => ({ position, event: msgpackCodec.decode(bytes.subarray(ends[i - 1] ?? 0, ends[i])) }));
        };
        if (store.readStreamEncoded !== undefined) {
          const stream = await store.readStream('r', 1, 'forward', 100);
          for (let from = 0; from <= 9; from++) {
            for (const limit of [1, 2, 3, 100]) {
              expect(decoded(await store.readStreamEncoded('r', from, limit)), `readStreamEncoded from ${from} limit ${limit}`).toEqual(
                stream.filter((e) => e.seq >= from).slice(0, limit).map((event) => ({ position: event.seq, event })),
              );
            }
          }
          expect(decoded(await store.readStreamEncoded('nothing', 1, 10)), 'readStreamEncoded: unknown stream').toEqual([]);
        }
        if (store.readAllEncoded !== undefined) {
          for (const from of [0, ...all.map((e) => e.pos), all[all.length - 1]!.pos + 1]) {
            for (const limit of [1, 3, 100]) {
              expect(decoded(await store.readAllEncoded(from, limit)), `readAllEncoded from ${from} limit ${limit}`).toEqual(
                all.filter((e) => e.pos >= from).slice(0, limit).map((event) => ({ position: event.pos, event })),
              );
            }
          }
        }
      });

      it('reads of an empty store are empty', async () => {
        expect(await store.readAll(1, 'forward', 10), 'readAll on an empty store').toEqual([]);
        expect(await store.readAll(10, 'backward', 10), 'readAll on an empty store').toEqual([]);
        expect(await store.headPosition(), 'headPosition of an empty store is 0').toBe(0);
        expect(await store.listStreams('', undefined, 10), 'listStreams on an empty store').toEqual([]);
      });
    });

    describe('lookups', () => {
      it('findEvent finds an event by id in any stream, and answers undefined for an unknown id', async () => {
        const a = succeeded(await appendOne(store, request('a', events('a', 3))), 'setup');
        const b = succeeded(await appendOne(store, request('b', events('b', 2))), 'setup');
        expect(await store.findEvent('a-2'), 'findEvent: the stored event').toEqual(a.written[1]);
        expect(await store.findEvent('b-2'), 'findEvent: the stored event').toEqual(b.written[1]);
        expect(await store.findEvent('c-1'), 'findEvent: unknown id').toBeUndefined();
      });

      it('findByTime finds the first event recorded at or after a time: store-wide, in a stream, or under a prefix', async () => {
        // The last append has one event, so that a search can end on a stream's head event alone.
        const streams = ['t.a', 't.b', 'u.a', 't.a', 'u.a', 't.b', 't.a'];
        let last = 0;
        for (const [i, stream] of streams.entries()) {
          const ok = succeeded(await appendOne(store, request(stream, events(`t${i}`, i === streams.length - 1 ? 1 : 2))), 'setup');
          last = ok.written[ok.written.length - 1]!.recorded;
          await clockPast(last);
        }
        const all = await readEverything(store);
        const times = [...new Set(all.map((e) => e.recorded)), 0, last + 1];
        const firstAtOrAfter = (list: readonly StoredEvent[], time: number) => list.find((e) => e.recorded >= time);
        for (const time of times) {
          expect(await store.findByTime(time), `findByTime store-wide at ${time}`).toEqual(firstAtOrAfter(all, time));
          for (const stream of ['t.a', 'u.a', 'none']) {
            expect(await store.findByTime(time, stream), `findByTime in stream ${stream} at ${time}`).toEqual(
              firstAtOrAfter(
                all.filter((e) => e.stream === stream),
                time,
              ),
            );
          }
          for (const prefix of ['t.', 'u.', 'v']) {
            expect(await store.findByTime(time, undefined, prefix), `findByTime under prefix ${prefix} at ${time}`).toEqual(
              firstAtOrAfter(
                all.filter((e) => e.stream.startsWith(prefix)),
                time,
              ),
            );
          }
        }
        expect(await store.findByTime(last + 1), 'findByTime: undefined when no event is that late').toBeUndefined();
        expect(await store.findByTime(0), 'findByTime(0): the first event').toEqual(all[0]);
      });

      it('streamInfo summarizes a stream: head, count, tx, lastPos, lastRecorded; undefined for an unknown stream', async () => {
        succeeded(await appendOne(store, request('s', events('s1', 2))), 'setup');
        succeeded(await appendOne(store, request('other', events('o', 1))), 'setup');
        const last = succeeded(await appendOne(store, request('s', events('s2', 3))), 'setup');
        const lastEvent = last.written[2]!;
        expect(await store.streamInfo('s'), 'streamInfo').toEqual<StreamSummary>({
          stream: 's',
          head: 5,
          count: 5,
          tx: 2,
          lastPos: lastEvent.pos,
          lastRecorded: lastEvent.recorded,
        });
        expect(await store.streamInfo('unknown'), 'streamInfo: unknown stream').toBeUndefined();
      });

      it('listStreams lists streams in name order under a prefix, pages with after, at most limit', async () => {
        const names = ['s.10', 's.02', 'x', 's.01', 'sa', 's.11', 's.03', 'r', 's.12', 's.04'];
        for (const name of names) succeeded(await appendOne(store, request(name, [event(`e-${name}`)])), 'setup');
        const sorted = [...names].sort();

        const everything = await store.listStreams('', undefined, 100);
        expect(everything.map((s) => s.stream), 'listStreams: every stream in name order').toEqual(sorted);
        const info = await store.streamInfo('s.02');
        expect(everything.find((s) => s.stream === 's.02'), 'listStreams: the same summaries as streamInfo').toEqual(info);

        const paged: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const list = await store.listStreams('s.', after, 3);
          expect(list.length, 'listStreams: at most limit').toBeLessThanOrEqual(3);
          paged.push(...list.map((s) => s.stream));
          if (list.length < 3) break;
          after = list[list.length - 1]!.stream;
        }
        expect(paged, 'listStreams: paging with after visits each stream under the prefix once, in order').toEqual(
          sorted.filter((n) => n.startsWith('s.')),
        );
        expect((await store.listStreams('', 's.11', 100)).map((s) => s.stream), 'listStreams: after is exclusive').toEqual(
          sorted.filter((n) => n > 's.11'),
        );
        expect((await store.listStreams('s.', 'a', 2)).map((s) => s.stream), 'listStreams: after before the prefix').toEqual([
          's.01',
          's.02',
        ]);
        expect(await store.listStreams('s.', 't', 10), 'listStreams: after beyond the prefix').toEqual([]);
        expect(await store.listStreams('q', undefined, 10), 'listStreams: no stream under the prefix').toEqual([]);
      });

      it('surface answers the newest event of each key in seq order, leaving out events without a key', async () => {
        succeeded(
          await appendOne(
            store,
            request('s', [
              event('1', 'Set', { key: 'k1', data: { v: 1 } }),
              event('2', 'Set', { key: 'k2', data: { v: 1 } }),
              event('3', 'Note'),
              event('4', 'Set', { key: 'k1', data: { v: 2 } }),
            ]),
          ),
          'setup',
        );
        // Streams whose keys sort next to those of 's' in a [stream, key] index.
        succeeded(await appendOne(store, request('other', [event('o', 'Set', { key: 'k9' })])), 'setup');
        succeeded(await appendOne(store, request('sz', [event('sz', 'Set', { key: 'k0' })])), 'setup');
        succeeded(await appendOne(store, request('s.', [event('s.', 'Set', { key: 'k0' })])), 'setup');
        succeeded(
          await appendOne(
            store,
            request('s', [event('5', 'Set', { key: 'k3', data: { v: 1 } }), event('6', 'Set', { key: 'k2', data: { v: 2 } }), event('7', 'Note')]),
          ),
          'setup',
        );
        const surface = await store.surface('s');
        expect(ids(surface), 'surface: newest per key, in seq order, keyless events left out').toEqual(['4', '5', '6']);
        expect(surface[0], 'surface: the stored events').toEqual(await store.findEvent('4'));
        expect(await store.surface('unknown'), 'surface of an unknown stream is empty').toEqual([]);
        expect(ids(await store.surface('s.')), 'surface is of one stream, not a prefix').toEqual(['s.']);
        expect(await store.surface('s.x'), 'surface of a stream without keys is empty').toEqual([]);
      });

      it('headPosition is the position of the newest event, 0 when empty, unchanged by failed appends', async () => {
        expect(await store.headPosition(), 'headPosition: 0 when empty').toBe(0);
        const a = succeeded(await appendOne(store, request('a', events('a', 3))), 'setup');
        expect(await store.headPosition(), 'headPosition: the newest position').toBe(a.positions[2]);
        failed(await appendOne(store, request('a', [event('x')], 'none')), 'wrong-expected-version', 'a failed append');
        expect(await store.headPosition(), 'headPosition: unchanged by a failed append').toBe(a.positions[2]);
      });
    });

    describe('commit notifications', () => {
      it('onCommit tells each commit once, with exactly the events written, in position order, once they are readable', async () => {
        const heard: StoredEvent[][] = [];
        const readable: Promise<StoredEvent | undefined>[] = [];
        store.onCommit((list) => {
          heard.push([...list]);
          readable.push(store.findEvent(list[list.length - 1]!.id));
        });
        succeeded(await appendOne(store, request('a', events('a', 2))), 'append');
        await store.append([request('b', events('b', 1)), request('b', events('bad', 1), 'none'), request('c', events('c', 2))]);
        succeeded(await appendOne(store, request('a', events('a', 2))), 'an all-duplicate retry');
        failed(await appendOne(store, request('a', events('x', 1), 'none')), 'wrong-expected-version', 'a failed append');
        succeeded(await appendOne(store, request('d', [event('d1', 'Set', { key: 'k' })])), 'append');
        succeeded(await appendOne(store, request('d', [event('d2', 'Set', { key: 'k' })], 'any', true)), 'a content duplicate');

        const all = await readEverything(store);
        expect(heard.every((list) => list.length > 0), 'onCommit: never called without events').toBe(true);
        expect(heard.flat(), 'onCommit: every written event once, in position order, and nothing else').toEqual(all);
        const found = await Promise.all(readable);
        expect(found.every((e) => e !== undefined), 'onCommit: the events are readable when the listener hears of them').toBe(true);
      });

      it('the function onCommit returns removes the listener', async () => {
        let calls = 0;
        const remove = store.onCommit(() => {
          calls++;
        });
        succeeded(await appendOne(store, request('a', [event('a1')])), 'append');
        const heardBefore = calls;
        expect(heardBefore, 'onCommit: the listener heard the commit').toBeGreaterThan(0);
        remove();
        succeeded(await appendOne(store, request('a', [event('a2')])), 'append');
        expect(calls, 'onCommit: a removed listener hears nothing').toBe(heardBefore);
      });

      it('every listener hears every commit', async () => {
        const first: string[] = [];
        const second: string[] = [];
        store.onCommit((list) => first.push(...ids(list)));
        store.onCommit((list) => second.push(...ids(list)));
        succeeded(await appendOne(store, request('a', events('a', 2))), 'append');
        expect(first, 'onCommit: listener 1').toEqual(['a-1', 'a-2']);
        expect(second, 'onCommit: listener 2').toEqual(['a-1', 'a-2']);
      });
    });

    describe('concurrency', () => {
      it('concurrent append calls lose no event; positions strictly increase; seqs stay dense and tx grows by 1 per append per stream', async () => {
        const writers = 8;
        const appendsPerWriter = 15;
        const streams = ['c.a', 'c.b', 'c.c'];
        const heard: StoredEvent[] = [];
        store.onCommit((list) => heard.push(...list));
        const acked = new Map<string, { stream: string; seq: number; pos: number }>();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < appendsPerWriter; i++) {
              const stream = streams[(w + i) % streams.length]!;
              const list = events(`w${w}-${i}`, 1 + ((w + i) % 3));
              // Some calls carry two requests, to two streams.
              const requests = i % 4 === 0 ? [request(stream, list), request('c.z', events(`z${w}-${i}`, 1))] : [request(stream, list)];
              const outcomes = await store.append(requests);
              for (const [r, outcome] of outcomes.entries()) {
                const ok = succeeded(outcome, 'concurrent append');
                requests[r]!.events.forEach((e, k) =>
                  acked.set(e.id, { stream: requests[r]!.stream, seq: ok.seqs[k]!, pos: ok.positions[k]! }),
                );
              }
            }
          }),
        );
        const all = await readEverything(store);
        expect(all.length, 'concurrency: every acknowledged event is stored').toBe(acked.size);
        expectPositionsIncrease(
          all.map((e) => e.pos),
          'concurrency',
        );
        for (const stored of all) {
          expect(acked.get(stored.id), `concurrency: event ${stored.id} is stored where its ack said`).toEqual({
            stream: stored.stream,
            seq: stored.seq,
            pos: stored.pos,
          });
        }
        for (const stream of [...streams, 'c.z']) {
          const list = all.filter((e) => e.stream === stream);
          expect(list.map((e) => e.seq), `concurrency: seqs of ${stream} are dense from 1`).toEqual(list.map((_, i) => i + 1));
          const txs = [...new Set(list.map((e) => e.tx))];
          expect(txs, `concurrency: tx of ${stream} grows by 1 per append`).toEqual(txs.map((_, i) => i + 1));
          const info = await store.streamInfo(stream);
          expect(info?.head, `concurrency: head of ${stream}`).toBe(list.length);
          expect(info?.tx, `concurrency: tx of ${stream}`).toBe(txs.length);
        }
        expect(heard, 'concurrency: onCommit heard every event once, in position order').toEqual(all);
      });

      it('concurrent appends expecting the same version: exactly one wins, the others get wrong-expected-version', async () => {
        succeeded(await appendOne(store, request('race', [event('base')])), 'setup');
        const outcomes = await Promise.all(
          Array.from({ length: 6 }, (_, i) => appendOne(store, request('race', [event(`racer-${i}`)], 1))),
        );
        const winners = outcomes.filter((o) => o.ok);
        expect(winners, 'optimistic concurrency: exactly one append expecting version 1 succeeds').toHaveLength(1);
        for (const outcome of outcomes.filter((o) => !o.ok)) {
          const error = failed(outcome, 'wrong-expected-version', 'optimistic concurrency');
          expect(error.details, 'optimistic concurrency: the actual version').toEqual({ stream: 'race', expected: 1, actual: 2 });
        }
        expect((await store.streamInfo('race'))?.head, 'optimistic concurrency: one event added').toBe(2);
      });

      it('concurrent retries of the same events write them once and answer the same positions', async () => {
        const list = events('same', 3);
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => appendOne(store, request('retry', list))));
        const answers = outcomes.map((o) => succeeded(o, 'concurrent retry'));
        for (const answer of answers) {
          expect(answer.seqs, 'idempotency under concurrency: same seqs').toEqual([1, 2, 3]);
          expect(answer.positions, 'idempotency under concurrency: same positions').toEqual(answers[0]!.positions);
          expect(answer.tx, 'idempotency under concurrency: same tx').toBe(1);
        }
        expect(answers.filter((a) => a.written.length > 0), 'idempotency under concurrency: exactly one wrote').toHaveLength(1);
        expect(await store.headPosition(), 'idempotency under concurrency: stored once').toBe(answers[0]!.positions[2]);
      });

      it('reads see an append only once it is committed: never part of a request, never a request that fails, never a head that goes back', async () => {
        await expectReadsSeeOnlyCommitted(store);
      });
    });

    describe('close', () => {
      it('a closed store fails further calls', async () => {
        succeeded(await appendOne(store, request('a', [event('a1')])), 'append');
        await store.close();
        closed = true;
        await expect(store.append([request('a', [event('a2')])]), 'close: append after close fails').rejects.toThrow();
        await expect(store.readAll(1, 'forward', 10), 'close: read after close fails').rejects.toThrow();
      });
    });

    describe('identity (EventStore.id, SPEC 6.5.1 store)', () => {
      it('has an identity of 1 to 256 characters that appends do not change', async () => {
        const id = store.id;
        expect(typeof id === 'string' && id.length >= 1 && id.length <= 256, `identity: a string of 1 to 256 characters, got ${JSON.stringify(id)}`).toBe(
          true,
        );
        succeeded(await appendOne(store, request('identity', events('identity', 3))), 'append');
        await store.readAll(1, 'forward', 10);
        expect(store.id, 'identity: the same after appends and reads').toBe(id);
      });

      it('another store made by the factory has another identity', async () => {
        const other = await factory();
        try {
          expect(other.id, 'identity: each new store makes its own (a random UUID), never a fixed one').not.toBe(store.id);
        } finally {
          await other.close();
        }
      });
    });

    describeGroupStoreContract(() => store);
    describeProjectionStoreContract(
      () => store,
      async () => {
        closed = true;
        await store.close();
      },
    );
  });
}
