// Runs the client on the runtime's global WebSocket (node --experimental-websocket stands in for
// a browser) against the server at argv[2], and prints what it saw as one JSON line.
import { firstValueFrom, toArray } from 'rxjs';
import { connect } from '../../../client/index.js';
import { wsTransport } from '../../../transports/ws/client.js';

const url = process.argv[2] ?? '';
const client = await connect(wsTransport(url));
const ack = await client.emit('browserish', [{ type: 'FromGlobalWebSocket', data: { ok: true } }, { type: 'Second' }]);
const events = await firstValueFrom(client.replay('browserish').pipe(toArray()));
await client.close();
process.stdout.write(
  `${JSON.stringify({ globalWebSocket: typeof globalThis.WebSocket, seqs: ack.seqs, types: events.map((event) => event.type) })}\n`,
);
