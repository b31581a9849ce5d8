import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest } from '../../server-reference/stores/event-store.js';
import { IdClaims } from '../../server-reference/stores/jetstream/claims.js';
import { WriteHeads } from '../../server-reference/stores/jetstream/heads.js';
import { MessageDraft, decodeMessage } from '../../server-reference/stores/jetstream/message.js';
import { JetStreamReader, type RawMessage } from '../../server-reference/stores/jetstream/reader.js';
import type { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { CommitTail } from '../../server-reference/stores/jetstream/tail.js';
import { JetStreamWriter } from '../../server-reference/stores/jetstream/writer.js';
import { NATS_URL, TestStores, natsAvailable, type TestStoreNames } from './jetstream-fixture.js';
import { until } from '../support/until.js';

// The writer's decisions under the timing of several servers, and messages at JetStream's limits.

const available = await natsAvailable();
const stores = new TestStores();
const closers: (() => Promise<unknown>)[] = [];

async function open(names: TestStoreNames): Promise<JetStreamStore> {
  const store = await stores.open(names);
  closers.push(() => store.close());
  return store;
}

function request(stream: string, events: (EventInput & { id: string })[], expected: AppendRequest['expected'] = 'any', dedupe = false): AppendRequest {
  return { stream, events, expected, dedupe };
}

function ok(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: true }> {
  if (outcome === undefined) throw new Error('no outcome');
  if (!outcome.ok) throw new Error(`append failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
}

/** A reader that lets the test run something when an answer to `lastOf` has arrived, before the caller sees it. */
class ObservedReader extends JetStreamReader {
  onLastOf: () => void = () => undefined;

  override async lastOf(filter: string): Promise<RawMessage | undefined> {
    const answer = await super.lastOf(filter);
    this.onLastOf();
    return answer;
  }
}

/**
 * A writer of one server wired as JetStreamStore wires it, except that its commit tail is slow:
 * while `lagging`, the messages the tail hears reach the writer's heads only when the next
 * `lastOf` answer arrives (as a real tail's dispatch may come while a request is in flight).
 */
async function laggingWriter(names: TestStoreNames): Promise<{ writer: JetStreamWriter; lag: () => void; heard: () => number }> {
  const nc: NatsConnection = await connect({ servers: NATS_URL, noAsyncTraces: true });
  const js: JetStreamClient = jetstream(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const reader = new ObservedReader(js, jsm, names.stream);
  const kv = await new Kvm(js).open(`${names.stream}_ids`, { allow_direct: false });
  const heads = new WriteHeads(reader, names.subjectPrefix, 100);
  const held: RawMessage[] = [];
  let lagging = false;
  let received = 0;
  const apply = (raw: RawMessage): void => heads.apply(decodeMessage(raw.data, raw.jsSeq, raw.recorded));
  reader.onLastOf = () => {
    for (const raw of held.splice(0)) apply(raw);
  };
  const last = (await jsm.streams.info(names.stream)).state.last_seq;
  const tail = new CommitTail(js, jsm, reader, `${names.subjectPrefix}.>`, last, (raw) => {
    received++;
    if (lagging) held.push(raw);
    else apply(raw);
  });
  const writer = new JetStreamWriter(
    { js, reader, heads, claims: new IdClaims(kv, reader, names.subjectPrefix), tail, subjectPrefix: names.subjectPrefix },
    { maxMessageBytes: 1_000_000, publishTimeoutMs: 5_000, claimWaitMs: 2_000, claimTimeoutMs: 30_000, tailWaitMs: 10_000 },
  );
  closers.push(async () => {
    await writer.idle();
    await tail.stop();
    await nc.close();
  });
  return { writer, lag: () => (lagging = true), heard: () => received };
}

describe.skipIf(!available)('jetstream store: the writer', { timeout: 60_000 }, () => {
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(() => stores.deleteAll());

  it('an expected version is checked against the head it was decided on, not one the commit tail moved meanwhile', async () => {
    const names = stores.fresh();
    const other = await open(names);
    ok((await other.append([request('orders', [{ id: 'o1', type: 'T' }])]))[0]);
    const { writer, lag, heard } = await laggingWriter(names);
    ok((await writer.append([request('orders', [{ id: 'w1', type: 'T' }], 1)]))[0]);

    // The other server writes seq 3 and acknowledges it; this server's tail has not passed it on yet.
    lag();
    const before = heard();
    ok((await other.append([request('orders', [{ id: 'o2', type: 'T' }], 2)]))[0]);
    await until(() => heard() > before, "the tail hearing the other server's append");

    const outcome = (await writer.append([request('orders', [{ id: 'w2', type: 'T' }], 3)]))[0];
    expect(outcome?.ok === false ? outcome.error.details : undefined, 'seq 3 was acknowledged before this append was made').toBeUndefined();
    expect(ok(outcome).seqs, 'so expecting version 3 holds').toEqual([4]);
  });

  it('content de-duplication is decided against the head it was planned on, so a newer event of the key is not missed', async () => {
    const names = stores.fresh();
    const other = await open(names);
    ok((await other.append([request('settings', [{ id: 'o1', type: 'Set', key: 'colour', data: 'red' }], 'any', true)]))[0]);
    const { writer, lag, heard } = await laggingWriter(names);
    ok((await writer.append([request('settings', [{ id: 'w1', type: 'Set', key: 'colour', data: 'blue' }], 'any', true)]))[0]);

    lag();
    const before = heard();
    ok((await other.append([request('settings', [{ id: 'o2', type: 'Set', key: 'colour', data: 'red' }], 'any', true)]))[0]);
    await until(() => heard() > before, "the tail hearing the other server's append");

    // The newest event of the key is red (seq 3): blue is a change, not a duplicate of seq 2.
    const outcome = ok((await writer.append([request('settings', [{ id: 'w2', type: 'Set', key: 'colour', data: 'blue' }], 'any', true)]))[0]);
    expect(outcome.dups, 'blue is written').toEqual([]);
    expect(outcome.seqs).toEqual([4]);
    expect((await other.readStream('settings', 1, 'forward', 10)).map((e) => e.data), 'and stored').toEqual(['red', 'blue', 'red', 'blue']);
  });

  it('thousands of concurrent appends to one stream fill a message to the byte without exceeding the payload limit', async () => {
    const names = stores.fresh();
    const store = await open(names);
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    closers.push(() => nc.close());
    const maxPayload = nc.info!.max_payload;
    // Events of about 110 bytes, one per append: enough of them fill a message by bytes, and its
    // header holds one count per append (thousands of bytes on top of the events).
    const event = (i: number) => ({ id: `event-${String(i).padStart(8, '0')}`, type: 'Measured', data: 'x'.repeat(70) });
    const sample = event(0);
    const eventBytes = MessageDraft.encodeEvents([{ ...sample, stream: 's', seq: 1, pos: 1, tx: 1, recorded: 1 }])[0]!.length;
    const appends = Math.ceil(maxPayload / eventBytes) + 100;
    expect(appends, 'all of them fit in one batch of the writer').toBeLessThan(20_000);

    // One append first, so that the rest queue behind it and go out together.
    const first = store.append([request('measurements', [event(0)])]);
    const rest = Array.from({ length: appends - 1 }, (_, i) => store.append([request('measurements', [event(i + 1)])]));
    const outcomes = (await Promise.all([first, ...rest])).map((o) => o[0]);
    const failures = outcomes.filter((o) => o?.ok !== true);
    expect(failures.length === 0 ? [] : [failures.length, failures[0]], 'every append is written').toEqual([]);
    const info = await store.streamInfo('measurements');
    expect(info?.head, 'all stored').toBe(appends);
  });

  it('after a request is refused by JetStream, a later request of the same call to that stream fails with chain-broken', async () => {
    const names = stores.fresh();
    // A JetStream stream made beforehand that takes messages of at most 500 kB.
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    closers.push(() => nc.close());
    await (await jetstreamManager(nc)).streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`], max_msg_size: 500_000 });
    const store = await open(names);
    const big = 'x'.repeat(600_000);
    const fits = 'y'.repeat(450_000);
    // Together they do not fit one message: the second goes into a message of its own.
    const [first, second] = await store.append([
      request('files', [{ id: 'too-big', type: 'Upload', data: big }]),
      request('files', [{ id: 'after', type: 'Upload', data: fits }]),
    ]);
    expect(first?.ok === false && first.error.message, 'JetStream refuses the first, and says so').toContain('refused');
    expect(second?.ok === false && second.error.code, 'the second is not written after the first failed').toBe('chain-broken');
    expect(await store.streamInfo('files'), 'nothing stored').toBeUndefined();
    // A refusal is certain (unlike a publish without answer): the ids are free again at once.
    const elsewhere = (await store.append([request('other', [{ id: 'too-big', type: 'Upload' }])]))[0];
    expect(elsewhere?.ok, "the refused event's id may be written to another stream").toBe(true);
  });
});
