import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { append, join, startGroupsServer, work, type GroupsServer } from '../server/groups-http-fixture.js';
import { sendHttp } from '../support/http-request.js';
import { parseScrape } from './prometheus-text.js';

describe('GET /metrics: consumer group members', () => {
  let running: GroupsServer;
  beforeEach(async () => {
    running = await startGroupsServer();
  });
  afterEach(() => running.close());

  const scrape = async () => parseScrape((await sendHttp(`${running.http}/metrics`)).body);

  it('counts members as subscriptions of their kind, and their deliveries as events delivered', async () => {
    const writer = await running.peer();
    await append(writer, 'orders.1', Array.from({ length: 30 }, (_, n) => ({ type: 'Placed', key: `k${n}` })));
    const member = await running.peer();
    await join(member, { sub: 1, group: 'billing', stream: 'orders.*', member: 'm1', partitions: 4, from: 'start' });
    await work(member, 1, 30);
    const now = await scrape();
    expect(now.value('tauon_subscriptions', { kind: 'group-member' })).toBe(1);
    expect(now.value('tauon_subscriptions', { kind: 'subscription' })).toBe(0);
    expect(now.value('tauon_events_delivered_total')).toBe(30);
    expect(now.value('tauon_delivery_frames_total')).toBeGreaterThanOrEqual(1);
    expect(now.value('tauon_delivery_frames_total')).toBeLessThanOrEqual(30);
    expect(now.value('tauon_events_appended_total')).toBe(30);
  });
});
