import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecByName } from '../../protocol/codec.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

interface Vector {
  readonly direction: 'client' | 'server';
  readonly frame: Record<string, unknown>;
}

const seeds = (JSON.parse(readFileSync(new URL('../../protocol/vectors/valid.json', import.meta.url), 'utf8')) as Vector[])
  .filter((vector) => vector.direction === 'client' && vector.frame['type'] !== 'hello')
  .map((vector) => vector.frame);

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [null, -1, 0, 1.5, 2 ** 60, '', 'x'.repeat(300), [], {}, true, { after: -1 }, '$all', 'a*b'];

/** A valid frame with one field removed, retyped or replaced, or a few bytes flipped after encoding. */
function mutate(next: () => number, frame: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(frame);
  const keys = Object.keys(copy).filter((key) => key !== 'type' || next() < 0.2);
  const key = keys[Math.floor(next() * keys.length)];
  if (key === undefined) return copy;
  if (next() < 0.3) delete copy[key];
  else copy[key] = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
  return copy;
}

const ROUNDS = 60;
const FRAMES_PER_ROUND = 25;

describe.each(TRANSPORTS)('fuzzed input over %s', (kind) => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer(kind);
  });
  afterAll(() => running.close());

  it('answers mutated frames and random bytes without dying, losing data, or disturbing others', async () => {
    const next = random(20261122);
    const witness = await RawPeer.open(() => running.connect());
    witness.send({ type: 'append', id: 1, stream: 'kept', events: [{ id: 'kept-1', type: 'Kept', data: { n: 1 } }] });
    await witness.expect('appended', { id: 1 });
    for (let round = 0; round < ROUNDS; round += 1) {
      const codec = round % 2 === 0 ? 'msgpack' : 'json';
      const peer = await RawPeer.open(() => running.connect(), { codec });
      for (let i = 0; i < FRAMES_PER_ROUND && peer.closed === undefined; i += 1) {
        if (next() < 0.1) {
          const bytes = codecByName(codec).encode(mutate(next, seeds[Math.floor(next() * seeds.length)]!));
          for (let flips = 0; flips < 3; flips += 1) {
            const at = Math.floor(next() * bytes.length);
            bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(next() * 8));
          }
          peer.sendBytes(bytes);
        } else {
          peer.send(mutate(next, seeds[Math.floor(next() * seeds.length)]!));
        }
      }
      // Whatever it was sent, the server still answers this connection or has closed it cleanly.
      if (peer.closed === undefined) {
        peer.send({ type: 'ping', nonce: round });
        await peer.next((frame) => frame.type === 'pong' && frame.nonce === round).catch(() => peer.waitClosed());
      }
      expect(peer.invalid, 'the server sent frames that fail the protocol schemas').toEqual([]);
      peer.close();
    }
    witness.send({ type: 'read', id: 2, stream: 'kept' });
    const page = await witness.expect('page', { id: 2 });
    expect(page.events.map((event) => event.id)).toEqual(['kept-1']);
    witness.send({ type: 'ping', nonce: 1 });
    expect((await witness.expect('pong')).nonce).toBe(1);
    witness.close();
  }, 60_000);
});
