// Target (c): a session over the memory transport, against a real in-process reference server on
// a memory store. A hostile client sends valid, mutated, byte-spoiled, random and over-size
// frames (reconnecting whenever the server closes it, hanging up now and then), interleaved with
// a well-behaved client's appends and its subscription. Properties: nothing is thrown unhandled
// and no internal error is logged; every frame is answered as the protocol says (a request by
// exactly one answer naming it, a bad frame by an error with a known code, undecodable or
// over-size bytes by an error and the documented close); the server stays responsive; the
// well-behaved client's events are all stored, and delivered once each, in order, unchanged.
import fc from 'fast-check';
import { codecByName, detectCodec, type CodecName } from '../../protocol/codec.js';
import type { ErrorCode } from '../../protocol/error-codes.js';
import { RefusedFrameError, type TauonError } from '../../protocol/errors.js';
import type { ServerFrame, StoredEvent } from '../../protocol/frames.js';
import { decodeClientFrame } from '../../protocol/decode-client-frame.js';
import { parseClientFrame } from '../../protocol/validate.js';
import { TauonServer } from '../../server-reference/server.js';
import type { InternalErrorRecord } from '../../server-reference/internal-errors.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { MemoryServerTransport } from '../../transports/memory/index.js';
import { CloseCodes } from '../../transports/transport.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { CODECS, nearFrame, validClientFrame } from './frame-inputs.js';
import { applyBytes, byteMutations, encodeOrSkip } from './mutations.js';
import { sameFrame } from './validator-target.js';
import { jsonData, wellFormedText } from './zod-arbitrary.js';

/** The server's frame limit in this target: small, so that over-size frames are cheap to make. */
export const FUZZ_MAX_FRAME_BYTES = 16 * 1024;
/** The well-behaved client's stream (no hostile frame is made to name it: the fuzzer's names are short or random). */
const GOOD_STREAM = 'well-behaved.client.stream';
const GOOD_SUB = 1;
/** Requests that the server answers with exactly one frame carrying their id. */
const REQUEST_TYPES = new Set([
  'append', 'read', 'surface', 'invalidate', 'streams', 'info', 'groups', 'group', 'replay-parked',
  'projections', 'projection', 'projection-entries', 'rebuild-projection',
]);
/** How long an answer may take before the run fails (generous for a transport in memory; short, so that shrinking a failure is quick). */
const ANSWER_MS = 2000;

const MAX_NEST = 6000;

type Step =
  | { readonly kind: 'frame'; readonly bytes: Uint8Array }
  | { readonly kind: 'tick' }
  | { readonly kind: 'hang-up' }
  /** A new connection that sends `hello` and these bytes at once, before its `welcome` (a pipelined handshake). */
  | { readonly kind: 'rush'; readonly bytes: Uint8Array }
  | { readonly kind: 'good-append'; readonly events: readonly { readonly type: string; readonly data: unknown }[] };

/** One run: the codecs of both clients, how the hostile one opens, and what happens after. */
export interface SessionScenario {
  readonly hostileCodec: CodecName;
  readonly goodCodec: CodecName;
  /** `hello` for a proper handshake, or bytes that take its place. */
  readonly opening: 'hello' | Uint8Array;
  readonly steps: readonly Step[];
}

/** Frames for the hostile client in its codec, over-size ones among them. */
function hostileBytes(codec: CodecName): fc.Arbitrary<Uint8Array> {
  const encoder = codecByName(codec);
  const encoded = (values: fc.Arbitrary<unknown>) =>
    values.map((value) => encodeOrSkip(encoder, value)).filter((bytes): bytes is Uint8Array => bytes !== undefined);
  const shallow = { maxDepth: 3 };
  const near = encoded(nearFrame(validClientFrame(shallow), MAX_NEST));
  const oversize = fc
    .record({ id: fc.nat(1000), extra: fc.integer({ min: 1, max: 4096 }) })
    .map(({ id, extra }) => encoder.encode({ type: 'append', id, stream: 'big', events: [{ type: 'T', data: 'x'.repeat(FUZZ_MAX_FRAME_BYTES + extra) }] }));
  return fc.oneof(
    { weight: 3, arbitrary: encoded(validClientFrame(shallow)) },
    { weight: 5, arbitrary: near },
    { weight: 2, arbitrary: fc.tuple(near, byteMutations).map(([bytes, mutations]) => applyBytes(bytes, mutations)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 1, arbitrary: oversize },
  );
}

function goodAppend(): fc.Arbitrary<Step> {
  const event = fc.record({ type: wellFormedText({ minLength: 1, maxLength: 12 }), data: jsonData({ maxDepth: 4 }) });
  return fc.array(event, { minLength: 1, maxLength: 3 }).map((events) => ({ kind: 'good-append' as const, events }));
}

/** Scenarios: mostly a handshake and then up to `maxSteps` steps. */
export function sessionScenario(maxSteps = 40): fc.Arbitrary<SessionScenario> {
  return fc
    .record({ hostileCodec: fc.constantFrom(...CODECS), goodCodec: fc.constantFrom(...CODECS) })
    .chain(({ hostileCodec, goodCodec }) => {
      const frame = hostileBytes(hostileCodec).map((bytes) => ({ kind: 'frame' as const, bytes }));
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 8, arbitrary: frame },
        { weight: 3, arbitrary: goodAppend() },
        { weight: 2, arbitrary: fc.constant({ kind: 'tick' as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'hang-up' as const }) },
        { weight: 1, arbitrary: hostileBytes(hostileCodec).map((bytes) => ({ kind: 'rush' as const, bytes })) },
      );
      return fc.record({
        hostileCodec: fc.constant(hostileCodec),
        goodCodec: fc.constant(goodCodec),
        opening: fc.oneof({ weight: 9, arbitrary: fc.constant('hello' as const) }, { weight: 1, arbitrary: hostileBytes(hostileCodec) }),
        steps: fc.array(step, { maxLength: maxSteps }),
      });
    });
}

/** What the protocol promises about the frames sent on one hostile connection. */
class Promises {
  /** Per request id: how many frames carrying it must come back. */
  readonly answers = new Map<number, number>();
  /** Codes of the errors bad frames must be answered with, one entry per frame. */
  readonly refusals: ErrorCode[] = [];
  /** Nonces of pings to be answered. */
  readonly pongs: number[] = [];
  /** The frame that must end the connection: its error's code and the close code. */
  fatal: { readonly code: ErrorCode; readonly close: number } | undefined;

  /** Notes what `bytes` must bring, judged by the decoder and validators the protocol defines. */
  sent(codec: CodecName, bytes: Uint8Array): void {
    if (bytes.byteLength > FUZZ_MAX_FRAME_BYTES) {
      this.fatal = { code: 'too-large', close: CloseCodes.tooLarge };
      return;
    }
    let value: unknown;
    let frame;
    try {
      // As the server decodes it: what it cannot keep (too deep, not UTF-8, an extension, a
      // number past the double range) is refused with bad-frame and the session goes on.
      value = decodeClientFrame(codecByName(codec), bytes);
      frame = parseClientFrame(value);
    } catch (error) {
      if (error instanceof RefusedFrameError) value = error.value;
      else if (value === undefined) {
        this.fatal = { code: 'bad-frame', close: CloseCodes.badFrame };
        return;
      }
      this.refusals.push((error as TauonError).code);
      const id = (typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined) as number | undefined;
      if (Number.isSafeInteger(id) && id! >= 0) this.expectAnswer(id!);
      return;
    }
    if (REQUEST_TYPES.has(frame.type)) this.expectAnswer((frame as { id: number }).id);
    else if (frame.type === 'ping' && frame.nonce !== undefined) this.pongs.push(frame.nonce);
    else if (frame.type === 'hello') this.refusals.push('protocol');
  }

  private expectAnswer(id: number): void {
    this.answers.set(id, (this.answers.get(id) ?? 0) + 1);
  }
}

/** Frames carrying a request id (answers and errors), counted per id. */
function answersById(frames: readonly ServerFrame[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const frame of frames) {
    const id = (frame as { id?: unknown }).id;
    if (typeof id === 'number') counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function settle(predicate: () => boolean, ms = ANSWER_MS): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

/** One hostile connection: the peer and what it was promised. */
interface HostileLink {
  readonly peer: RawPeer;
  readonly promises: Promises;
  /** Hung up by the client itself: what was in flight may go unanswered. */
  hungUp: boolean;
}

/** Checks what a hostile connection got against what it was promised; throws what does not hold. */
async function checkLink(link: HostileLink): Promise<void> {
  const { peer, promises } = link;
  if (peer.invalid.length > 0) throw new Error(`the server sent ${peer.invalid.length} frames that fail the protocol's schemas`);
  const internal = peer.received.find((frame) => frame.type === 'error' && frame.code === 'internal');
  if (internal !== undefined) throw new Error(`the server answered a hostile frame with an internal error: ${JSON.stringify(internal)}`);
  if (promises.fatal !== undefined) {
    const fatal = promises.fatal;
    const info = await peer.waitClosed(ANSWER_MS).catch(() => undefined);
    if (info === undefined) throw new Error(`a frame that must close the connection (${fatal.code}) left it open`);
    if (!link.hungUp && info.code !== fatal.close) throw new Error(`closed with ${info.code} ${info.reason}, expected ${fatal.close} (${fatal.code})`);
    if (!link.hungUp && !peer.received.some((frame) => frame.type === 'error' && frame.code === fatal.code)) {
      throw new Error(`closed with ${info.code} without the error "${fatal.code}" first`);
    }
  } else if (peer.closed !== undefined && !link.hungUp) {
    throw new Error(`the server closed the connection (${peer.closed.code} ${peer.closed.reason}) after frames it should have answered`);
  }
  const open = promises.fatal === undefined && !link.hungUp;
  if (open) {
    // Still served: a ping after everything else is answered.
    peer.send({ type: 'ping', nonce: 424242 });
    await peer.expect('pong', {}, ANSWER_MS).catch(() => {
      throw new Error('the server stopped answering a connection it kept open');
    });
    const answered = await settle(() => covers(answersById(peer.received), promises.answers));
    if (!answered) throw new Error(`requests went unanswered: expected ${describeCounts(promises.answers)}, got ${describeCounts(answersById(peer.received))}`);
    for (const code of new Set(promises.refusals)) {
      const wanted = promises.refusals.filter((candidate) => candidate === code).length;
      const got = peer.received.filter((frame) => frame.type === 'error' && frame.code === code).length;
      if (got < wanted) throw new Error(`${wanted} frames must be refused with "${code}", ${got} were`);
    }
    for (const nonce of promises.pongs) {
      if (!peer.received.some((frame) => frame.type === 'pong' && frame.nonce === nonce)) throw new Error(`ping ${nonce} was not answered`);
    }
  }
  // Never more answers than requests, whether the connection stayed open or not.
  const got = answersById(peer.received);
  for (const [id, count] of got) {
    const wanted = promises.answers.get(id) ?? 0;
    if (count > wanted) throw new Error(`request id ${id} got ${count} answers for ${wanted} requests`);
  }
}

function covers(got: Map<number, number>, wanted: Map<number, number>): boolean {
  for (const [id, count] of wanted) if ((got.get(id) ?? 0) < count) return false;
  return true;
}

function describeCounts(counts: Map<number, number>): string {
  return JSON.stringify([...counts].slice(0, 20));
}

/** Runs one scenario against a fresh server; throws what does not hold. */
export async function runScenario(scenario: SessionScenario): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);
  process.on('uncaughtException', onUnhandled);
  process.on('unhandledRejection', onUnhandled);
  const internalErrors: InternalErrorRecord[] = [];
  const store = new MemoryStore();
  const server = new TauonServer({ store, limits: { maxFrameBytes: FUZZ_MAX_FRAME_BYTES }, errorLog: (record) => internalErrors.push(record) });
  const listener = new MemoryServerTransport();
  const links: HostileLink[] = [];
  try {
    await server.listen(listener);
    const good = await RawPeer.open(() => listener.connect(), { codec: scenario.goodCodec });
    good.send({ type: 'subscribe', sub: GOOD_SUB, stream: GOOD_STREAM, mode: 'hot-cold', from: 'start', credit: 10_000 });
    const sent: { id: string; type: string; data: unknown }[] = [];
    const appendIds: number[] = [];

    let link: HostileLink | undefined;
    const hostile = async (): Promise<HostileLink> => {
      if (link !== undefined && link.peer.closed === undefined && link.promises.fatal === undefined && !link.hungUp) return link;
      const peer = new RawPeer(await listener.connect(), codecByName(scenario.hostileCodec));
      link = { peer, promises: new Promises(), hungUp: false };
      links.push(link);
      peer.send({ type: 'hello', versions: [1] });
      await peer.expect('welcome', {}, ANSWER_MS);
      return link;
    };

    if (scenario.opening !== 'hello') await openWith(listener, scenario.opening);
    for (const step of scenario.steps) {
      switch (step.kind) {
        case 'frame': {
          const current = await hostile();
          current.promises.sent(scenario.hostileCodec, step.bytes);
          current.peer.sendBytes(step.bytes);
          break;
        }
        case 'tick':
          await new Promise((resolve) => setImmediate(resolve));
          break;
        case 'rush':
          links.push(await rush(listener, scenario.hostileCodec, step.bytes));
          break;
        case 'hang-up':
          if (link !== undefined && link.peer.closed === undefined) {
            link.hungUp = true;
            link.peer.close();
          }
          break;
        case 'good-append': {
          const id = good.id();
          const events = step.events.map((event, index) => ({ id: `good-${sent.length + index + 1}`, ...event }));
          sent.push(...events);
          appendIds.push(id);
          good.send({ type: 'append', id, stream: GOOD_STREAM, events });
          break;
        }
      }
    }

    for (const each of links) await checkLink(each);
    await checkWellBehaved(good, appendIds, sent);
    if (internalErrors.length > 0) {
      const first = internalErrors[0]!;
      throw new Error(`the server logged ${internalErrors.length} internal errors, the first in ${first.context}`, { cause: first.error });
    }
    if (unhandled.length > 0) throw new Error(`${unhandled.length} errors were thrown unhandled`, { cause: unhandled[0] });
  } finally {
    process.off('uncaughtException', onUnhandled);
    process.off('unhandledRejection', onUnhandled);
    await server.close();
    await store.close();
  }
}

/**
 * How the server must answer `bytes` sent before the handshake is done (protocol/SPEC.md,
 * section 7): over-size 1009, undecodable 4002, and anything else but a good `hello` (a frame
 * that fails validation, a first frame other than `hello`) 4001.
 */
function beforeHandshake(codec: CodecName, bytes: Uint8Array): 'welcome' | 'reject' | { code: ErrorCode; close: number } {
  if (bytes.byteLength > FUZZ_MAX_FRAME_BYTES) return { code: 'too-large', close: CloseCodes.tooLarge };
  let value: unknown;
  try {
    value = decodeClientFrame(codecByName(codec), bytes);
  } catch (error) {
    // Refused without being kept (too deep, not UTF-8, an extension): a frame that fails validation.
    if (error instanceof RefusedFrameError) return { code: 'bad-frame', close: CloseCodes.handshake };
    return { code: 'bad-frame', close: CloseCodes.badFrame };
  }
  let frame;
  try {
    frame = parseClientFrame(value);
  } catch (error) {
    return { code: (error as TauonError).code, close: CloseCodes.handshake };
  }
  if (frame.type !== 'hello') return { code: 'protocol', close: CloseCodes.handshake };
  return frame.versions.includes(1) ? 'welcome' : 'reject';
}

/** Waits for the close `expected` names, and checks its code and the error before it. */
async function expectHandshakeClose(peer: RawPeer, expected: { code: ErrorCode; close: number }, what: string): Promise<void> {
  const info = await peer.waitClosed(ANSWER_MS).catch(() => undefined);
  if (info === undefined) throw new Error(`${what}: the connection was not closed (expected ${expected.close}, ${expected.code})`);
  if (info.code !== expected.close) throw new Error(`${what}: closed with ${info.code} ${info.reason}, expected ${expected.close} (${expected.code})`);
  if (!peer.received.some((frame) => frame.type === 'error' && frame.code === expected.code)) {
    throw new Error(`${what}: closed with ${info.code} without the error "${expected.code}" first`);
  }
  if (peer.invalid.length > 0) throw new Error(`${what}: the server sent frames that fail the protocol schemas`);
}

/** A hostile opening in place of `hello`: answered as section 7 of the spec says. */
async function openWith(listener: MemoryServerTransport, bytes: Uint8Array): Promise<void> {
  // The server answers in the codec it tells from these bytes, whichever the client meant.
  const codec = detectCodec(bytes);
  const peer = new RawPeer(await listener.connect(), codec);
  peer.sendBytes(bytes);
  const expected = beforeHandshake(codec.name, bytes);
  if (expected === 'welcome') await peer.expect('welcome', {}, ANSWER_MS);
  else if (expected === 'reject') {
    await peer.expect('reject', {}, ANSWER_MS);
    const info = await peer.waitClosed(ANSWER_MS);
    if (info.code !== CloseCodes.handshake) throw new Error(`a hello without version 1 was closed with ${info.code}, not 4001`);
  } else await expectHandshakeClose(peer, expected, 'a first frame other than hello');
  peer.close();
}

/**
 * `hello` and a frame at once (a pipelined handshake, SPEC 6.3): `welcome` comes first, and the
 * frame is then taken as in an open session; the link is checked as any other.
 */
async function rush(listener: MemoryServerTransport, codec: CodecName, bytes: Uint8Array): Promise<HostileLink> {
  const peer = new RawPeer(await listener.connect(), codecByName(codec));
  const link: HostileLink = { peer, promises: new Promises(), hungUp: false };
  peer.send({ type: 'hello', versions: [1] });
  peer.sendBytes(bytes);
  link.promises.sent(codec, bytes);
  const first = await peer.next(() => true, ANSWER_MS);
  if (first.type !== 'welcome') throw new Error(`a frame pipelined behind hello: the first answer is ${JSON.stringify(first).slice(0, 200)}, not welcome`);
  return link;
}

/** The well-behaved client's appends were all stored, and delivered once each, in order and unchanged. */
async function checkWellBehaved(good: RawPeer, appendIds: readonly number[], sent: readonly { id: string; type: string; data: unknown }[]): Promise<void> {
  for (const id of appendIds) {
    const answer = await good.next((frame) => (frame as { id?: number }).id === id, ANSWER_MS);
    if (answer.type !== 'appended') throw new Error(`the well-behaved client's append ${id} was answered ${JSON.stringify(answer)}`);
  }
  const delivered = (): StoredEvent[] => good.received.flatMap((frame) => (frame.type === 'events' && frame.sub === GOOD_SUB ? frame.events : []));
  if (!(await settle(() => delivered().length >= sent.length))) {
    throw new Error(`the well-behaved subscription got ${delivered().length} of ${sent.length} events`);
  }
  await new Promise((resolve) => setTimeout(resolve, 2));
  expectEvents(delivered(), sent, 'delivered');
  const read = good.id();
  good.send({ type: 'read', id: read, stream: GOOD_STREAM, limit: 1000 });
  const page = await good.expect('page', { id: read }, ANSWER_MS);
  expectEvents(page.events, sent, 'stored');
  const subscriptionErrors = good.received.filter((frame) => frame.type === 'error');
  if (subscriptionErrors.length > 0) throw new Error(`the well-behaved client got errors: ${JSON.stringify(subscriptionErrors).slice(0, 500)}`);
}

function expectEvents(got: readonly StoredEvent[], sent: readonly { id: string; type: string; data: unknown }[], what: string): void {
  if (got.length !== sent.length) throw new Error(`${what}: ${got.length} events for ${sent.length} appended`);
  got.forEach((event, index) => {
    const original = sent[index]!;
    if (event.id !== original.id) throw new Error(`${what}: event ${index + 1} is ${event.id}, expected ${original.id} (out of order or twice)`);
    if (event.seq !== index + 1) throw new Error(`${what}: event ${event.id} has seq ${event.seq}, expected ${index + 1}`);
    if (event.type !== original.type || !sameFrame(event.data, original.data)) throw new Error(`${what}: event ${event.id} came back changed`);
  });
}

/** The session property: every scenario holds. */
export function sessionProperty(maxSteps?: number) {
  return fc.asyncProperty(sessionScenario(maxSteps), runScenario);
}
