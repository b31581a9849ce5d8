// The peer process of the raw ws baselines (raw-ws.ts spawns it): a bare `ws` server with
// msgpackr frames and nothing else, on 127.0.0.1 and a free port, which it prints as
// `port N`. It answers two requests:
// - `{type: 'append', id, events}`: decodes the frame and answers `{type: 'ack', id, count}`;
// - `{type: 'replay', events: N}`: sends N stored-event-shaped events, 100 a frame.
// It exits when its parent closes its stdin (or dies), so it never outlives the benchmark.
import { randomUUID } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import { BENCH_TYPE, benchData } from '../bench-event.js';

/** Events in each frame of a replay. */
const EVENTS_PER_FRAME = 100;
/** Bytes the sender lets ws and the socket hold before it waits for them to be written. */
const HIGH_WATER = 1024 * 1024;

interface AppendRequest {
  readonly type: 'append';
  readonly id: number;
  readonly events: readonly unknown[];
}
interface ReplayRequest {
  readonly type: 'replay';
  readonly events: number;
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('message', (data: Buffer) => {
    const request = unpack(data) as AppendRequest | ReplayRequest;
    if (request.type === 'append') {
      socket.send(pack({ type: 'ack', id: request.id, count: request.events.length }));
    } else {
      sendEvents(socket, request.events).catch((error: unknown) => {
        console.error('raw ws peer: replay failed:', error);
        socket.terminate();
      });
    }
  });
});
server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`raw ws peer: unexpected address ${String(address)}`);
  process.stdout.write(`port ${address.port}\n`);
});

// The parent holds our stdin open for as long as it wants us.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

/** Sends `total` events, 100 a frame, as a store replaying one stream would. */
async function sendEvents(socket: WebSocket, total: number): Promise<void> {
  const stream = 'bench';
  const recorded = Date.now();
  let pos = 1;
  while (pos <= total) {
    const events = [];
    for (const last = Math.min(total, pos + EVENTS_PER_FRAME - 1); pos <= last; pos++) {
      events.push({ stream, seq: pos, pos, tx: pos, id: randomUUID(), type: BENCH_TYPE, data: benchData(pos), recorded });
    }
    const frame = pack({ type: 'events', sub: 1, events });
    // Backpressure: once ws and the socket hold enough, wait until this frame is written out.
    if (socket.bufferedAmount < HIGH_WATER) socket.send(frame);
    else await new Promise<void>((resolve, reject) => socket.send(frame, (error) => (error ? reject(error) : resolve())));
  }
}
