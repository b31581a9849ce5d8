// Share the work of a stream among the members of a consumer group, each key in order: the
// program the README shows. Run it against `npm start`:  npx tsx examples/consumer-group.ts [ws://127.0.0.1:7600]
import { connect } from 'tauon/client';
import type { StoredEvent } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';

export async function consumerGroup(url: string, log: (line: string) => void = console.log): Promise<void> {
  const client = await connect(wsTransport(url));
  const stream = `orders-${Date.now()}`;
  await client.emit(stream, [
    { type: 'OrderPlaced', key: 'order-1' },
    { type: 'OrderPlaced', key: 'order-2' },
    { type: 'OrderPaid', key: 'order-1' },
    { type: 'OrderPaid', key: 'order-2' },
    { type: 'OrderShipped', key: 'order-1' },
  ]);

  // Two members of the group `billing`: the group's partitions are split between them, and the
  // events of one key go to one member, in order. An event is acknowledged when its handler
  // resolves (retried when it throws), and the group's checkpoints live in the server's store.
  const billed = new Map<string, string[]>();
  let done!: () => void;
  const allBilled = new Promise<void>((resolve) => {
    done = resolve;
  });
  const bill = async (event: StoredEvent): Promise<void> => {
    const key = event.key ?? event.stream;
    billed.set(key, [...(billed.get(key) ?? []), event.type]);
    if ([...billed.values()].flat().length === 5) done();
    await Promise.resolve(); // the real work: charge a card, write a row, emit a derived event
  };
  const members = ['member-a', 'member-b'].map((member) =>
    client.process(`billing-${stream}`, stream, bill, { member }).subscribe({
      error: (error) => console.error('the member ended:', error),
    }),
  );
  await allBilled;
  for (const key of [...billed.keys()].sort()) log(`${key}: ${billed.get(key)?.join(', ')}`);

  // Unsubscribing lets running handlers finish and be acknowledged, then leaves the group.
  for (const member of members) member.unsubscribe();
  await client.close();
}

if (process.argv[1]?.endsWith('consumer-group.ts') === true) {
  await consumerGroup(process.argv[2] ?? 'ws://127.0.0.1:7600');
}
