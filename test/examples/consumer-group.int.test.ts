import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consumerGroup } from '../../examples/consumer-group.js';
import { startServer, type RunningServer } from '../support/harness.js';

describe('examples/consumer-group.ts (the README program)', () => {
  let running: RunningServer;
  beforeEach(async () => {
    // A memory store: it keeps consumer groups.
    running = await startServer('ws');
  });
  afterEach(async () => {
    await running.close();
  });

  it('two members of a group process every event, each key in order, against a real server', async () => {
    const lines: string[] = [];
    await consumerGroup(running.transport.description, (line) => lines.push(line));
    expect(lines).toEqual(['order-1: OrderPlaced, OrderPaid, OrderShipped', 'order-2: OrderPlaced, OrderPaid']);
  });
});
