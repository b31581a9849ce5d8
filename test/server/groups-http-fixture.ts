import type { Authenticate } from '../../server-reference/auth/authenticator.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { sendHttp } from '../support/http-request.js';

/** A reference server with WebSocket and the HTTP API on one loopback port (port 0), as `tauon serve` runs them. */
export interface GroupsServer {
  readonly server: TauonServer;
  /** The WebSocket URL, `ws://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The HTTP API's base, `http://127.0.0.1:PORT` (no slash at the end). */
  readonly http: string;
  /** A raw protocol peer, welcomed (with the token when given). */
  peer(token?: string): Promise<RawPeer>;
  /** GETs a path of the HTTP API (with the token when given) and parses the JSON answer, whatever its status. */
  get(path: string, token?: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts a server on `store` (default: a fresh MemoryStore, which keeps groups). */
export async function startGroupsServer(options: { store?: EventStore; authenticate?: Authenticate } = {}): Promise<GroupsServer> {
  const store = options.store ?? new MemoryStore();
  const server = new TauonServer({ store, ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }) });
  const listener = await listenWs({ onRequest: createHttpApi(server) });
  await server.listen(listener.transport);
  const peers: RawPeer[] = [];
  const http = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
  return {
    server,
    url: listener.url,
    http,
    async peer(token) {
      const peer = await RawPeer.open(() => wsTransport(listener.url).connect(), token === undefined ? {} : { token });
      peers.push(peer);
      return peer;
    },
    async get(path, token) {
      const answer = await sendHttp(`${http}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      return JSON.parse(answer.body) as unknown;
    },
    async close() {
      for (const peer of peers) peer.close();
      await server.close();
      await listener.close();
      await store.close();
    },
  };
}

/**
 * A store that keeps no consumer groups: every call goes to `store`, `groups` is absent. As a
 * store written before SPEC 17 is.
 */
export function withoutGroups(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'groups') return undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Appends events through a raw peer and waits for the ack. */
export async function append(peer: RawPeer, stream: string, events: object[]): Promise<void> {
  const id = peer.id();
  peer.send({ type: 'append', id, stream, events });
  const answer = await peer.next((frame) => 'id' in frame && frame.id === id);
  if (answer.type !== 'appended') throw new Error(`append to ${stream} answered ${JSON.stringify(answer)}`);
}

/**
 * Joins `group` as member `member` with subscription `sub` and waits for `assigned`; resolves
 * with the partitions (and generations) it holds. The lease is a minute: a raw peer sends
 * nothing of its own between the test's frames (a client pings every quarter of its lease).
 */
export async function join(
  peer: RawPeer,
  consume: { sub: number; group: string; stream: string; member: string; partitions?: number; from?: 'start' | 'end' },
): Promise<{ part: number; gen: number }[]> {
  peer.send({ type: 'consume', credit: 1000, leaseMs: 60_000, ...consume });
  const answer = await peer.next((frame) => 'sub' in frame && frame.sub === consume.sub);
  if (answer.type !== 'assigned') throw new Error(`consume of ${consume.group} answered ${JSON.stringify(answer)}`);
  return answer.parts;
}

/**
 * Takes the deliveries of subscription `sub` until `count` events came (bounded in time), acks
 * each, but parks those `park` picks (with the reason "bad data") and leaves those `leave` picks
 * unacknowledged. Positions are `pos`: the group's selector is a pattern or `$all`. Resolves with
 * the positions parked.
 */
export async function work(
  peer: RawPeer,
  sub: number,
  count: number,
  choose: { park?: (type: string) => boolean; leave?: (type: string) => boolean } = {},
): Promise<number[]> {
  const parked: number[] = [];
  for (let seen = 0; seen < count; ) {
    const frame = await peer.next((candidate) => candidate.type === 'deliver' && candidate.sub === sub, 10_000);
    if (frame.type !== 'deliver') continue;
    const acked: number[] = [];
    for (const event of frame.events) {
      seen += 1;
      const position = event.pos;
      if (choose.leave?.(event.type) === true) continue;
      if (choose.park?.(event.type) === true) {
        peer.send({ type: 'nack', sub, part: frame.part, gen: frame.gen, pos: position, park: 'bad data' });
        parked.push(position);
      } else acked.push(position);
    }
    if (acked.length > 0) peer.send({ type: 'ack', sub, part: frame.part, gen: frame.gen, pos: acked });
  }
  return parked;
}

/** Asks until `check` holds of the answer (every 50 ms, at most `timeoutMs`) and resolves with it; rejects naming the last answer. */
export async function eventually<T>(ask: () => Promise<T>, check: (answer: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask();
    if (check(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`still not so after ${timeoutMs} ms: ${JSON.stringify(answer).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
