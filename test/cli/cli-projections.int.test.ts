import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectionSummary } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { runTauon } from '../support/cli-process.js';
import { startServer, type RunningServer } from '../support/harness.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the carts, and write nothing. */
const READER = 'reader-token-0123456789abcdef';

const CART_ITEMS: ProjectionDefinition = {
  name: 'cart-items',
  stream: 'carts',
  initial: 0,
  key: (event) => event.key,
  evolve: (count) => (count as number) + 1,
};

const SECRET_COUNT: ProjectionDefinition = {
  name: 'secret-count',
  stream: 'secret.*',
  initial: 0,
  evolve: (count) => (count as number) + 1,
};

describe('tauon projections', () => {
  let running: RunningServer;
  const tauon = (args: readonly string[], token = ADMIN) => runTauon(['projections', '--url', running.transport.description, '--token', token, ...args]);

  beforeAll(async () => {
    running = await startServer('ws', {
      projections: [CART_ITEMS, SECRET_COUNT],
      authenticate: await createAuthenticator({
        tokens: [
          { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
          { name: 'reader', token: READER, read: ['carts'] },
        ],
      }),
    });
    const server = running.server;
    const carts = await server.request({ type: 'append', id: 0, stream: 'carts', events: ['a', 'b', 'a', 'c'].map((key) => ({ type: 'Added', key })) });
    const secret = await server.request({ type: 'append', id: 0, stream: 'secret.1', events: [{ type: 'S' }, { type: 'S' }] });
    if (carts.type !== 'appended' || secret.type !== 'appended') throw new Error('the appends failed');
    await server.projections!.get('cart-items', 'a', { atLeast: carts.seqs.at(-1)!, timeoutMs: 10_000 });
    await server.projections!.get('secret-count', '', { atLeast: secret.positions.at(-1)!, timeoutMs: 10_000 });
  });
  afterAll(() => running?.close());

  it('lists the projections as a table, and as JSON only those the token may read', async () => {
    const listed = await tauon([]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME          SELECTOR  KEYED  STATUS   CHECKPOINT  HEAD  LAG');
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 4))).toEqual([
      ['cart-items', 'carts', 'yes', 'running'],
      ['secret-count', 'secret.*', 'no', 'running'],
    ]);
    const reader = await tauon(['--json'], READER);
    expect(reader.code).toBe(0);
    expect((JSON.parse(reader.stdout) as ProjectionSummary[]).map((one) => one.name)).toEqual(['cart-items']);
  });

  it('shows one keyed projection with its entries, paged by --limit and --after', async () => {
    const shown = await tauon(['cart-items', '--limit', '2']);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['projection  cart-items', 'selector    carts (keyed)', 'status      running']);
    expect(lines).toContain('KEY  VALUE');
    expect(lines).toContain('a    2');
    expect(lines).toContain('b    1');
    expect(lines.at(-1)).toBe('more entries follow: --after "b"');
    const rest = await tauon(['cart-items', '--after', 'b', '--json']);
    expect(JSON.parse(rest.stdout)).toMatchObject({ entries: [{ key: 'c', value: 1 }], next: null });
  });

  it('shows an unkeyed projection\'s value, and one key\'s value waiting for --at-least', async () => {
    const unkeyed = await tauon(['secret-count']);
    expect(unkeyed.stdout.trimEnd().split('\n').at(-1)).toBe('2');
    const key = await tauon(['cart-items', 'a', '--at-least', '4', '--json']);
    expect(key.code).toBe(0);
    expect(JSON.parse(key.stdout)).toEqual({ name: 'cart-items', key: 'a', found: true, value: 2, checkpoint: 4 });
    const none = await tauon(['cart-items', 'zzz']);
    expect(none.stdout).toBe('no value for key "zzz" (checkpoint 4)\n');
    const late = await tauon(['cart-items', 'a', '--at-least', '99', '--timeout', '50']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^tauon projections: timeout: /);
  });

  it('fails (exit 1) for a projection that does not exist or is not the token\'s to read, and (exit 2) on a wrong command line', async () => {
    const missing = await tauon(['nope']);
    expect([missing.code, missing.stderr]).toEqual([1, 'tauon projections: not-found: no projection "nope" (that this token may read)\n']);
    const hidden = await tauon(['secret-count', ''], READER);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toBe('tauon projections: forbidden: no read permission on "secret.*"\n');
    const wrong = await tauon(['a', 'b', 'c']);
    expect(wrong.code).toBe(2);
    const timeoutAlone = await tauon(['cart-items', 'a', '--timeout', '5']);
    expect(timeoutAlone.code).toBe(2);
  });

  it('rebuilds a projection with write on its selector, and refuses a reader', async () => {
    const refused = await tauon(['rebuild', 'cart-items'], READER);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('tauon projections: forbidden: no write permission on "carts"\n');
    const rebuilt = await tauon(['rebuild', 'cart-items', '--json']);
    expect([rebuilt.code, rebuilt.stdout]).toEqual([0, '{"rebuilding":"cart-items"}\n']);
    const again = await tauon(['cart-items', 'a', '--at-least', '4', '--timeout', '10000', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ value: 2 });
  });

  it('tells a server that runs no projections apart (exit 1, unsupported)', async () => {
    const memory = new MemoryStore();
    const bare = new Proxy(memory, {
      get: (target, property) => (property === 'projections' ? undefined : (Reflect.get(target, property, target) as unknown)),
    }) as EventStore;
    const plain = await startServer('ws', { store: bare, onClose: () => memory.close() });
    try {
      const answer = await runTauon(['projections', '--url', plain.transport.description]);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toBe(
        `tauon projections: unsupported: the server at ${plain.transport.description} runs no projections (none are registered, its store keeps none, or it predates them)\n`,
      );
    } finally {
      await plain.close();
    }
  });
});
