import assert from 'node:assert/strict';
import type { ServerFrame, StoredEvent } from '../../../protocol/frames.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/*
 * What the cases of subscriptions, credit and fell-behind share: sending a subscribe, waiting
 * for a subscription's frames, and proving that none came.
 */

/** Sends a `subscribe` (no answer comes for success). */
export function subscribe(peer: RawPeer, frame: { sub: number; stream: string; mode: string; credit: number; from?: unknown; filter?: unknown }): void {
  peer.send({ type: 'subscribe', ...frame });
}

/** The seqs of events, in the order they came. */
export function seqsOf(events: readonly StoredEvent[]): number[] {
  return events.map((event) => event.seq);
}

/** 1..n */
export function upTo(n: number, from = 1): number[] {
  return Array.from({ length: Math.max(0, n - from + 1) }, (_, i) => from + i);
}

/** The frames of one subscription that arrived and are not yet taken. */
export function pendingOf(peer: RawPeer, sub: number, type?: ServerFrame['type']): ServerFrame[] {
  return peer.pending().filter((frame) => (frame as { sub?: number }).sub === sub && (type === undefined || frame.type === type));
}

/**
 * Proves that nothing (or nothing of `type`) came for a subscription: waits a moment and a ping's
 * round trip, then looks at what is pending. `rule` says what the spec requires.
 */
export async function assertQuiet(kit: KitContext, peer: RawPeer, sub: number, rule: string, type?: ServerFrame['type']): Promise<void> {
  await kit.sleep(150);
  await kit.roundTrip(peer);
  const frames = pendingOf(peer, sub, type);
  assert.deepEqual(frames, [], `${rule}; got ${JSON.stringify(frames).slice(0, 400)}`);
}

/** Waits for the `caught-up` of a subscription, after taking its events; returns them and `at`. */
export async function untilCaughtUp(peer: RawPeer, sub: number, timeoutMs = 5000): Promise<{ events: StoredEvent[]; at: number }> {
  const events: StoredEvent[] = [];
  for (;;) {
    const frame = await peer.next((candidate) => (candidate.type === 'events' || candidate.type === 'caught-up' || candidate.type === 'error') && candidate.sub === sub, timeoutMs);
    if (frame.type === 'events') events.push(...frame.events);
    else if (frame.type === 'caught-up') return { events, at: frame.at };
    else throw new Error(`subscription ${sub} failed: ${JSON.stringify(frame)}`);
  }
}

/** Expects an `error` naming the subscription with this code, and returns it. */
export async function expectSubError(peer: RawPeer, sub: number, code: string, rule: string) {
  const error = await peer.next((frame) => frame.type === 'error' && frame.sub === sub);
  assert.equal(error.type === 'error' && error.code, code, `${rule}; got ${JSON.stringify(error)}`);
  return error;
}

/** The store-wide head now, from `info`. */
export async function storeHead(kit: KitContext, peer: RawPeer): Promise<number> {
  const info = await kit.ask(peer, { type: 'info' });
  if (info.type !== 'server-info') throw new Error(`info failed: ${JSON.stringify(info)}`);
  return info.head;
}
