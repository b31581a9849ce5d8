import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { TauonServer } from '../../server-reference/server.js';
import { listenWs } from '../../transports/ws/index.js';
import { tempDir } from '../support/temp-dir.js';

// The effectively-once pattern of SPEC 17.11 and docs/consumer-groups.md: a processor that emits
// derived events with ids derived from its input's id makes each derived event exactly once,
// though members are killed (SIGKILL) mid-batch and their unacknowledged inputs are processed
// again by others.

const ORDERS = 3000;
const KEYS = 100;
const MEMBERS = 3;
const KILLS = 8;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startMember(url: string, member: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/groups/derive-member-process.ts', url, 'invoicing', member], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

function waitExit(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('effectively once: derived events with derived ids', () => {
  it(`makes one invoice per order though members are killed ${KILLS} times mid-batch`, { timeout: 120_000 }, async () => {
    const dir = await tempDir('effectively-once');
    const store = await LmdbStore.open(dir.path);
    const server = new TauonServer({ store });
    const ws = await listenWs({ host: '127.0.0.1', port: 0 });
    await server.listen(ws.transport);
    const running = { server };
    cleanups.push(async () => {
      await server.close();
      await ws.close();
      await store.close();
      await dir.remove();
    });
    const url = ws.url;
    for (let i = 0; i < ORDERS; i += 500) {
      const events = Array.from({ length: Math.min(500, ORDERS - i) }, (_, j) => ({ id: `order-${i + j}`, type: 'placed', key: `customer-${(i + j) % KEYS}` }));
      await running.server.request({ type: 'append', id: 0, stream: `orders.${i / 500}`, events });
    }
    const members = Array.from({ length: MEMBERS }, (_, i) => startMember(url, `m${i}`));
    cleanups.push(async () => {
      for (const child of members) child.kill('SIGKILL');
      await Promise.all(members.map(waitExit));
    });
    let kills = 0;
    const deadline = Date.now() + 90_000;
    const lag = async () => (await running.server.groups!.info('invoicing'))?.lag ?? Number.MAX_SAFE_INTEGER;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 400));
      if (kills < KILLS) {
        const index = Math.floor(Math.random() * MEMBERS);
        members[index]!.kill('SIGKILL');
        await waitExit(members[index]!);
        members[index] = startMember(url, `m${index}`);
        kills += 1;
      } else if ((await lag()) === 0) break;
    }
    expect(await lag()).toBe(0);
    const invoices = new Map<string, number>();
    let next: { after: number } | undefined = { after: 0 };
    while (next !== undefined) {
      const page = await running.server.request({ type: 'read', id: 0, stream: 'invoices', from: next, limit: 1000 });
      if (page.type !== 'page') throw new Error(`read failed: ${JSON.stringify(page)}`);
      for (const event of page.events) invoices.set(event.id, (invoices.get(event.id) ?? 0) + 1);
      next = typeof page.next === 'object' && page.next !== null && 'after' in page.next ? page.next : undefined;
    }
    console.log(`effectively once: ${ORDERS} orders, ${kills} kills, ${invoices.size} invoices`);
    expect(kills).toBe(KILLS);
    expect(invoices.size).toBe(ORDERS);
    expect([...invoices.values()].every((count) => count === 1)).toBe(true);
  });
});
