// Raw `ws` + `msgpackr` baselines between two processes (DESIGN.md, Measuring): what the
// transport costs without any of Tauon's protocol. This process is the client; the peer
// (raw-ws-peer.ts) is spawned per run and killed after it, whatever happens.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { withPeerProcess } from './peer-process.js';
import { withinTime } from './within-time.js';

const PEER_SCRIPT = fileURLToPath(new URL('./raw-ws-peer.ts', import.meta.url));
/** Unanswered one-event frames the client allows. */
const ACKS_IN_FLIGHT = 1000;
const STARTUP_LIMIT_MS = 15_000;
const RUN_LIMIT_MS = 60_000;

/**
 * Events a second, one event a frame from client to peer, each frame decoded and answered with
 * an ack frame by the peer, at most 1,000 acks in flight. Rate = events acked / elapsed.
 */
export async function rawWsOneEventFrames(events = 100_000): Promise<number> {
  return withPeer('raw ws one event a frame', (socket, signal) => {
    return new Promise<number>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      let sent = 0;
      let acked = 0;
      const sendOne = (): void => {
        const event = { id: randomUUID(), type: BENCH_TYPE, data: benchData(sent) };
        socket.send(pack({ type: 'append', id: sent, events: [event] }));
        sent++;
      };
      socket.on('message', (data: Buffer) => {
        const ack = unpack(data) as { type: string; id: number; count: number };
        if (ack.type !== 'ack' || ack.id !== acked || ack.count !== 1) {
          reject(new Error(`raw ws: expected the ack of frame ${acked}, got ${JSON.stringify(ack)}`));
          return;
        }
        acked++;
        if (acked === events) resolve(events / ((performance.now() - started) / 1000));
        else if (sent < events) sendOne();
      });
      const started = performance.now();
      while (sent < Math.min(ACKS_IN_FLIGHT, events)) sendOne();
    });
  });
}

/**
 * Events a second, peer to client, 100 stored events a frame; the client decodes every frame.
 * Rate = events decoded by the client / elapsed (from the request to the last frame).
 */
export async function rawWsHundredEventFrames(events = 1_000_000): Promise<number> {
  return withPeer('raw ws 100 events a frame', (socket, signal) => {
    return new Promise<number>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      let received = 0;
      socket.on('message', (data: Buffer) => {
        const frame = unpack(data) as { type: string; events: readonly { seq: number }[] };
        if (frame.type !== 'events' || frame.events[0]?.seq !== received + 1) {
          reject(new Error(`raw ws: expected events from seq ${received + 1}, got a ${frame.type} frame`));
          return;
        }
        received += frame.events.length;
        if (received === events) resolve(events / ((performance.now() - started) / 1000));
      });
      const started = performance.now();
      socket.send(pack({ type: 'replay', events }));
    });
  });
}

/**
 * Spawns the peer, connects to it and runs `measure` within time; then closes the connection
 * and ends the peer, also after a failure or a timeout.
 */
function withPeer(label: string, measure: (socket: WebSocket, signal: AbortSignal) => Promise<number>): Promise<number> {
  return withPeerProcess(PEER_SCRIPT, label, STARTUP_LIMIT_MS + RUN_LIMIT_MS, async (port, signal) => {
    const open = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    try {
      await opened(open);
      const closed = new Promise<never>((_, reject) => {
        open.once('close', () => reject(new Error(`${label}: the peer closed the connection`)));
        open.once('error', reject);
      });
      return await Promise.race([measure(open, signal), closed]);
    } finally {
      open.terminate();
    }
  });
}

/**
 * Settles once the client socket is open. The peer speaks only when spoken to, so `measure`
 * may attach its `message` listener after this, before it sends its first frame.
 */
function opened(socket: WebSocket): Promise<void> {
  return withinTime('raw ws connect', STARTUP_LIMIT_MS, () => {
    return new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  });
}
