import { describe, expect, it } from 'vitest';
import { exampleSamples, markdownSamples, typeCheck, type SampleContext } from './code-samples.js';

/** What the guides' fragments take as given: a connected client, and the shop's typed client and command handler. */
const GUIDE_CONTEXT: SampleContext = {
  client: "import type { Client as SampleClient } from 'tauon/client';\ndeclare const client: SampleClient;",
  shop: "import { typed as sampleTyped } from 'tauon/client';\nimport { shopEvents as sampleEvents } from './events.js';\nconst shop = sampleTyped(client, sampleEvents);",
  orders: "import { commandHandler as sampleHandler } from 'tauon/client';\nimport { order as sampleOrder } from './order.js';\nconst orders = sampleHandler(client, sampleOrder);",
  readAt: 'declare const readAt: number;',
};

/** What the client's @example blocks take as given. */
const EXAMPLE_CONTEXT: SampleContext = {
  imports: [
    "import * as z from 'zod';",
    "import { CommandConflictError, EventValidationError, HandshakeRejectedError, RequestTimeoutError, StoreChangedError, UnknownEventTypeError, commandHandler, connect, defineEvents, handleCommand, project, typed, type Client, type Decider, type EventOf } from 'tauon/client';",
    "import { wsTransport } from 'tauon/transports/ws';",
    "import type { StoredEvent } from 'tauon/protocol';",
  ].join('\n'),
  declarations: [
    'declare const client: Client;',
    'declare const token: string;',
    'declare const readAt: number;',
    'declare function handle(event: StoredEvent): Promise<void>;',
    'declare function bill(event: StoredEvent, options?: { signal: AbortSignal }): Promise<void>;',
    'declare function render(...values: unknown[]): void;',
    'type Order = { total: number; shipped?: boolean };',
    'const orderEvents = defineEvents({ OrderPlaced: z.object({ orderId: z.string(), total: z.number() }), OrderShipped: z.object({ orderId: z.string() }) });',
    'const orders = typed(client, orderEvents);',
    'const typedClient = orders;',
    "type AccountCommand = { type: 'Deposit'; amount: number } | { type: 'Withdraw'; amount: number };",
    "type AccountEvent = { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number };",
    'declare const account: Decider<number, AccountCommand, AccountEvent>;',
    'const accounts = commandHandler(client, account);',
    'void [CommandConflictError, EventValidationError, HandshakeRejectedError, RequestTimeoutError, StoreChangedError, UnknownEventTypeError, connect, handleCommand, project, wsTransport, token, readAt, handle, bill, render, typedClient, accounts];',
    'export type { EventOf, Order };',
  ].join('\n'),
};

const CLIENT_SOURCES = [
  'client/types.ts',
  'client/connect.ts',
  'client/command-handler.ts',
  'client/typed-types.ts',
  'client/typed-client.ts',
  'client/typed-events.ts',
  'client/projection-operator.ts',
  'client/errors.ts',
  'client/aggregate-errors.ts',
  'client/typed-errors.ts',
  'client/decider.ts',
];

describe('the documentation code samples', () => {
  it('compile: the guides and the README', () => {
    const samples = ['README.md', 'docs/getting-started.md', 'docs/event-sourcing.md', 'docs/other-languages.md'].flatMap((path) =>
      markdownSamples(path, GUIDE_CONTEXT),
    );
    expect(samples.length).toBeGreaterThanOrEqual(13);
    expect(typeCheck(samples)).toEqual([]);
  }, 120_000);

  it("compile: the client's @example blocks, one on every Client method", () => {
    const samples = CLIENT_SOURCES.flatMap((path) => exampleSamples(path, EXAMPLE_CONTEXT));
    expect(samples.length).toBeGreaterThanOrEqual(50);
    expect(typeCheck(samples)).toEqual([]);
  }, 120_000);
});
