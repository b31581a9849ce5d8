// Emit, replay and follow a stream: the program the README shows.
// Run it against `npm start`:  npx tsx examples/quickstart.ts [ws://127.0.0.1:7600]
import { firstValueFrom, take, toArray } from 'rxjs';
import { connect } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';

export async function quickstart(url: string, log: (line: string) => void = console.log): Promise<void> {
  const client = await connect(wsTransport(url));
  const stream = `orders-${Date.now()}`;

  // Emit: resolves with the ack once the event is stored.
  const ack = await client.emit(stream, { type: 'OrderPlaced', key: 'order-1', data: { total: 42 } });
  log(`stored at seq ${ack.seq}, position ${ack.pos}`);
  await client.emit(stream, [
    { type: 'OrderPaid', key: 'order-1', data: { amount: 42 } },
    { type: 'OrderShipped', key: 'order-1' },
  ]);

  // Replay: the history up to now, then the Observable completes.
  const history = await firstValueFrom(client.replay(stream).pipe(toArray()));
  log(`replayed ${history.map((event) => event.type).join(', ')}`);

  // Follow: history from seq 3, then live events as they are stored.
  const followed = firstValueFrom(client.subscribe(stream, { from: { at: 3 } }).pipe(take(2), toArray()));
  await client.emit(stream, { type: 'OrderDelivered', key: 'order-1' });
  log(`followed ${(await followed).map((event) => `${event.seq}:${event.type}`).join(', ')}`);

  await client.close();
}

if (process.argv[1]?.endsWith('quickstart.ts') === true) {
  await quickstart(process.argv[2] ?? 'ws://127.0.0.1:7600');
}
