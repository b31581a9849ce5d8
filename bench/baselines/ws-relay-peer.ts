// The peer process of the relay baselines (ws-relay.ts spawns it): the least a durable live
// server must do, with none of Tauon's protocol or store. A connection that sends the text
// message `follow` becomes a follower (answered `following`); every binary frame is a producer's, and the frames of
// one event-loop turn are appended to a file, synced to disk (fdatasync), then sent as they came
// to every follower. It prints `port N` once it listens and exits when its parent closes its
// stdin (or dies), removing its file.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

const directory = mkdtempSync(join(tmpdir(), 'tauon-bench-relay-'));
const log = openSync(join(directory, 'log'), 'w');
const followers = new Set<WebSocket>();
let turn: Buffer[] = [];

function relayTurn(): void {
  const frames = turn;
  turn = [];
  for (const frame of frames) writeSync(log, frame);
  fdatasyncSync(log);
  for (const frame of frames) for (const follower of followers) follower.send(frame);
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('close', () => followers.delete(socket));
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      if (data.toString() === 'follow') {
        followers.add(socket);
        socket.send('following');
      }
      return;
    }
    turn.push(data);
    if (turn.length === 1) setImmediate(relayTurn);
  });
});
server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`relay peer: unexpected address ${String(address)}`);
  process.stdout.write(`port ${address.port}\n`);
});

// The parent holds our stdin open for as long as it wants us.
function exit(): void {
  closeSync(log);
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}
process.stdin.on('end', exit);
process.stdin.on('close', exit);
process.stdin.resume();
