// Connections to the relay peer (ws-relay-peer.ts): a producer's, and a follower's.
import WebSocket from 'ws';

/** A connection to the relay on `port`, once open. */
export async function connectRelay(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** A connection the relay passes every producer's frames on to, once the relay agreed. */
export async function followRelay(port: number): Promise<WebSocket> {
  const socket = await connectRelay(port);
  const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send('follow');
  await answered;
  return socket;
}
