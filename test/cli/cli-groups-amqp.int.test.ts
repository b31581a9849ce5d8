import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupSummary } from '../../protocol/frames.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { AmqpServerTransport, amqpTransport } from '../../transports/amqp/index.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { runTauon } from '../support/cli-process.js';
import { requireService } from '../support/services.js';
import { append, join, work } from '../server/groups-http-fixture.js';

const rabbitMq = await requireService('RabbitMQ', 5672);
const BROKER = 'amqp://127.0.0.1';

describe.skipIf(!rabbitMq)('tauon groups over AMQP', () => {
  // A service queue of its own, so that tests running at the same time never meet.
  const service = `tauon-cli-groups-${randomUUID()}`;
  const store = new MemoryStore();
  const server = new TauonServer({ store });
  let peer: RawPeer | undefined;

  beforeAll(async () => {
    await server.listen(new AmqpServerTransport({ url: BROKER, service }));
    peer = await RawPeer.open(() => amqpTransport(BROKER, { service }).connect());
    await append(peer, 'orders.1', [{ type: 'Placed', key: 'k1' }]);
    await join(peer, { sub: 1, group: 'billing', stream: 'orders.*', member: 'm-1', partitions: 2 });
    await work(peer, 1, 1);
  });
  afterAll(async () => {
    peer?.close();
    await server.close();
    await store.close();
  });

  it('lists, describes and replays as over WebSocket', async () => {
    const listed = await runTauon(['groups', '--url', BROKER, '--service', service, '--json']);
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as GroupSummary[]).map((group) => [group.group, group.members])).toEqual([['billing', 1]]);
    const described = await runTauon(['groups', '--url', BROKER, '--service', service, 'billing']);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('group       billing\n');
    const replayed = await runTauon(['groups', '--url', BROKER, '--service', service, 'replay-parked', 'billing']);
    expect(replayed.stdout).toBe('replaying 0 parked events of group billing\n');
  });
});
