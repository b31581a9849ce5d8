/**
 * Builds the golden vectors of protocol v1 from the frames listed here and the real codecs, and
 * writes them to protocol/vectors/ when run as a program:
 *
 * ```sh
 * npx tsx test/protocol/generate-vectors.ts
 * ```
 *
 * The output is deterministic (no clocks, no random ids), so running it twice gives the same
 * files; vectors.unit.test.ts fails when the committed files differ from what this builds.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';

/** Who sends the frame: a client (the server validates it) or a server (the client does). */
export type VectorDirection = 'client' | 'server';

/** A frame that both codecs must encode exactly so and that the schemas must accept. */
export interface ValidVector {
  readonly name: string;
  readonly direction: VectorDirection;
  /** The frame as a value. */
  readonly frame: Record<string, unknown>;
  /** The frame after validation, when it differs from `frame` (unknown fields dropped). */
  readonly parsed?: Record<string, unknown>;
  /** The exact JSON text of the frame. */
  readonly json: string;
  /** Lowercase hex of the frame's msgpack encoding by protocol/msgpack-codec.ts. */
  readonly msgpack: string;
}

/** How an invalid vector's `input` is to be turned into bytes and decoded. */
export type InvalidEncoding = 'json' | 'msgpack' | 'raw';

/** Bytes a receiver must refuse, and the error code it must refuse them with. */
export interface InvalidVector {
  readonly name: string;
  readonly direction: VectorDirection;
  /**
   * `json`: `input` is JSON text, decode it as UTF-8 JSON. `msgpack`: `input` is hex, decode it
   * as msgpack. `raw`: `input` is hex of the bytes as received first on a connection; choose
   * the codec by the first-byte rule (0x7B is JSON, anything else msgpack).
   */
  readonly encoding: InvalidEncoding;
  readonly input: string;
  readonly code: 'bad-frame' | 'unknown-frame';
}

/** Where the vector files live. */
export const VECTORS_DIRECTORY = fileURLToPath(new URL('../../protocol/vectors/', import.meta.url));
export const VALID_VECTORS_FILE = `${VECTORS_DIRECTORY}valid.json`;
export const INVALID_VECTORS_FILE = `${VECTORS_DIRECTORY}invalid.json`;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

// ---- sample values, fixed so that the output never changes ----

/** 2023-11-14T22:13:20.000Z: above 2^32, so msgpackr writes it as a float 64. */
const TIME = 1_700_000_000_000;
const RECORDED = 1_700_000_000_123;
const LIMITS = {
  maxFrameBytes: 1_048_576,
  maxEventsPerAppend: 10_000,
  maxSubscriptions: 1000,
  maxCredit: 100_000,
  maxReadLimit: 1000,
};
/** A store identity, as `welcome.store` names it. */
const STORE = '5f0c8e2a-3b7d-4c1e-9a6f-2d8b4e7c1a90';
/** 256 code points (512 UTF-16 units, 1024 UTF-8 bytes): the longest name allowed. */
const LONGEST_EMOJI_NAME = '\u{1F600}'.repeat(256);

const orderPlaced = {
  id: '0b6f7a52-2c1e-4b8e-9a57-2f0d3c1e9b11',
  type: 'OrderPlaced',
  key: 'order-42',
  data: { total: 12.5, currency: 'EUR', lines: [{ sku: 'tea', qty: 2 }] },
  meta: { tenant: 'acme', 'user-agent': 'shop/2.1' },
  time: TIME,
  causation: 'cmd-7',
  correlation: 'session-3',
  schema: 'https://example.com/schemas/order-placed/1',
};

const storedPlaced = { ...orderPlaced, stream: 'orders.42', seq: 1, pos: 101, tx: 1, recorded: RECORDED };
const storedPaid = {
  id: 'e-2',
  type: 'OrderPaid',
  key: 'order-42',
  data: { amount: 12.5 },
  stream: 'orders.42',
  seq: 2,
  pos: 102,
  tx: 2,
  recorded: RECORDED + 5,
};
const storedShipped = {
  id: 'e-3',
  type: 'OrderShipped',
  key: 'order-7',
  stream: 'orders.7',
  seq: 1,
  pos: 103,
  tx: 1,
  recorded: RECORDED + 9,
};
const storedInvalidated = {
  id: '5f0c1c8e-8d7b-4c35-b1a4-0d9f6f0e2a77',
  type: '$invalidated',
  data: { tx: 2, reason: 'payment reversed' },
  stream: 'orders.42',
  seq: 3,
  pos: 104,
  tx: 3,
  recorded: RECORDED + 20,
};

/** Data of many shapes, none binary: what both codecs carry alike. */
const nestedData = {
  null: null,
  yes: true,
  no: false,
  zero: 0,
  negative: -17,
  large: 9_007_199_254_740_991,
  negativeLarge: -4_294_967_297,
  fraction: 0.1,
  exponent: 1.5e-10,
  empty: '',
  emptyList: [],
  emptyMap: {},
  list: [1, 'two', [3, [4, [5]]], { six: 6 }, null],
  deep: { a: { b: { c: { d: { e: 'deep' } } } } },
  escapes: 'quote " backslash \\ slash / newline \n tab \t control \u0001',
};

/** Every frame that the vectors must cover, with and without optional fields. */
const VALID_FRAMES: readonly { name: string; direction: VectorDirection; frame: Record<string, unknown>; parsed?: Record<string, unknown> }[] = [
  // hello
  { name: 'hello: minimal', direction: 'client', frame: { type: 'hello', versions: [1] } },
  {
    name: 'hello: token and client',
    direction: 'client',
    frame: { type: 'hello', versions: [1], token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', client: 'tauon-ts/0.1.0' },
  },
  {
    name: 'hello: several versions, unknown field ignored',
    direction: 'client',
    frame: { type: 'hello', versions: [3, 2, 1], 'x-trace': 'abc' },
    parsed: { type: 'hello', versions: [3, 2, 1] },
  },
  // append
  {
    name: 'append: one event with id and type only',
    direction: 'client',
    frame: { type: 'append', id: 0, stream: 'orders', events: [{ id: 'e-1', type: 'OrderPlaced' }] },
  },
  {
    name: 'append: the encoding example of SPEC.md',
    direction: 'client',
    frame: {
      type: 'append',
      id: 1,
      stream: 'orders.42',
      events: [{ id: 'e-1', type: 'OrderPlaced', key: 'order-42', data: { total: 12.5, items: ['tea'] }, time: TIME }],
      expected: 0,
    },
  },
  {
    name: 'append: event without id (the server assigns one)',
    direction: 'client',
    frame: { type: 'append', id: 1, stream: 'metrics', events: [{ type: 'Tick', data: 1 }] },
  },
  {
    name: 'append: every optional field',
    direction: 'client',
    frame: {
      type: 'append',
      id: 2,
      stream: 'orders.42',
      events: [orderPlaced],
      expected: 'any',
      dedupe: true,
      newChain: true,
    },
  },
  {
    name: 'append: expected version "none"',
    direction: 'client',
    frame: { type: 'append', id: 3, stream: 'orders.43', events: [{ id: 'e-10', type: 'OrderPlaced' }], expected: 'none' },
  },
  {
    name: 'append: expected version "exists"',
    direction: 'client',
    frame: { type: 'append', id: 4, stream: 'orders.43', events: [{ id: 'e-11', type: 'OrderPaid' }], expected: 'exists' },
  },
  {
    name: 'append: expected version 0 (empty stream)',
    direction: 'client',
    frame: { type: 'append', id: 5, stream: 'orders.44', events: [{ id: 'e-12', type: 'OrderPlaced' }], expected: 0 },
  },
  {
    name: 'append: expected version 7',
    direction: 'client',
    frame: { type: 'append', id: 6, stream: 'orders.42', events: [{ id: 'e-13', type: 'OrderPaid' }], expected: 7 },
  },
  {
    name: 'append: a condition by types and keys over a pattern (5.8.1)',
    direction: 'client',
    frame: {
      type: 'append',
      id: 11,
      stream: 'bookings.42',
      events: [{ id: 'b-42', type: 'SeatReserved', key: 'seat-7' }],
      condition: { stream: 'bookings.*', types: ['SeatReserved', 'SeatReleased'], keys: ['seat-7'], after: 310 },
    },
  },
  {
    name: 'append: a condition by type alone over $all, with an expected version',
    direction: 'client',
    frame: {
      type: 'append',
      id: 12,
      stream: 'invoices.2026',
      events: [{ id: 'i-9', type: 'InvoiceNumbered', data: { number: 9 } }],
      expected: 8,
      condition: { stream: '$all', types: ['InvoiceNumbered'], after: 0 },
    },
  },
  {
    name: 'append: expected version above 2^32',
    direction: 'client',
    frame: {
      type: 'append',
      id: 4_294_967_296,
      stream: 'sensor.1',
      events: [{ id: 'r-1', type: 'Reading', data: { celsius: -3.25 } }],
      expected: 4_294_967_296,
    },
  },
  {
    name: 'append: several events, nested data of every shape',
    direction: 'client',
    frame: {
      type: 'append',
      id: 7,
      stream: 'shapes',
      events: [
        { id: 's-1', type: 'Shape', key: 'k', data: nestedData },
        { id: 's-2', type: 'Shape', key: 'k', data: [nestedData.list, nestedData.deep] },
        { id: 's-3', type: 'Shape', data: 'a plain string' },
        { id: 's-4', type: 'Shape', data: null },
        { id: 's-5', type: 'Shape', data: false },
      ],
      dedupe: false,
    },
  },
  {
    name: 'append: unicode in names, keys, meta and data',
    direction: 'client',
    frame: {
      type: 'append',
      id: 8,
      stream: 'café.订单',
      events: [
        {
          id: 'ünï-1',
          type: 'Zahlung€',
          key: '🔑',
          data: { text: 'naïve 日本語 😀', rtl: 'שלום', combining: 'e\u0301', ключ: 'значение' },
          meta: { 'origine': 'Montréal' },
        },
      ],
    },
  },
  {
    name: 'append: stream name of 256 code points (the longest)',
    direction: 'client',
    frame: { type: 'append', id: 9, stream: LONGEST_EMOJI_NAME, events: [{ id: 'e-14', type: 'Long' }] },
  },
  {
    name: 'append: stream name with punctuation and an inner "$"',
    direction: 'client',
    frame: { type: 'append', id: 10, stream: 'tenant-1/prices:EUR$ Q1', events: [{ id: 'e-15', type: 'Priced' }] },
  },
  // subscribe
  {
    name: 'subscribe: hot, minimal',
    direction: 'client',
    frame: { type: 'subscribe', sub: 1, stream: 'orders.42', mode: 'hot', credit: 100 },
  },
  {
    name: 'subscribe: hot from "end"',
    direction: 'client',
    frame: { type: 'subscribe', sub: 2, stream: 'orders.*', from: 'end', mode: 'hot', credit: 100 },
  },
  {
    name: 'subscribe: cold from "start", every stream ($all)',
    direction: 'client',
    frame: { type: 'subscribe', sub: 3, stream: '$all', from: 'start', mode: 'cold', credit: 1000 },
  },
  {
    name: 'subscribe: hot-cold from {after: 0}',
    direction: 'client',
    frame: { type: 'subscribe', sub: 4, stream: 'orders.42', from: { after: 0 }, mode: 'hot-cold', credit: 50 },
  },
  {
    name: 'subscribe: hot-cold from {after: n}',
    direction: 'client',
    frame: { type: 'subscribe', sub: 5, stream: 'orders.42', from: { after: 41 }, mode: 'hot-cold', credit: 50 },
  },
  {
    name: 'subscribe: pattern from {at: n} with a filter',
    direction: 'client',
    frame: {
      type: 'subscribe',
      sub: 6,
      stream: 'orders.*',
      from: { at: 101 },
      mode: 'hot-cold',
      credit: 500,
      filter: { types: ['OrderPlaced', 'OrderPaid'], keys: ['order-42'] },
    },
  },
  {
    name: 'subscribe: every stream ("*") from {event: id}, filter by type only',
    direction: 'client',
    frame: {
      type: 'subscribe',
      sub: 7,
      stream: '*',
      from: { event: '0b6f7a52-2c1e-4b8e-9a57-2f0d3c1e9b11' },
      mode: 'cold',
      credit: 10,
      filter: { types: ['OrderShipped'] },
    },
  },
  {
    name: 'subscribe: from {time: t} with no credit (paused)',
    direction: 'client',
    frame: { type: 'subscribe', sub: 8, stream: 'orders.42', from: { time: TIME }, mode: 'hot-cold', credit: 0 },
  },
  {
    name: 'subscribe: from {after: 2^53 - 1}',
    direction: 'client',
    frame: {
      type: 'subscribe',
      sub: 9,
      stream: '$all',
      from: { after: 9_007_199_254_740_991 },
      mode: 'hot-cold',
      credit: 100_000,
    },
  },
  // credit, unsubscribe
  { name: 'credit', direction: 'client', frame: { type: 'credit', sub: 1, n: 100 } },
  {
    name: 'credit: n = 0 (valid frame; the session answers error "protocol")',
    direction: 'client',
    frame: { type: 'credit', sub: 1, n: 0 },
  },
  { name: 'unsubscribe', direction: 'client', frame: { type: 'unsubscribe', sub: 1 } },
  // read
  { name: 'read: minimal', direction: 'client', frame: { type: 'read', id: 11, stream: 'orders.42' } },
  {
    name: 'read: backward from "end" with a limit',
    direction: 'client',
    frame: { type: 'read', id: 12, stream: 'orders.42', from: 'end', direction: 'backward', limit: 10 },
  },
  {
    name: 'read: backward from {before: n}',
    direction: 'client',
    frame: { type: 'read', id: 13, stream: 'orders.42', from: { before: 31 }, direction: 'backward', limit: 10 },
  },
  {
    name: 'read: forward over $all from {after: n} with a key filter',
    direction: 'client',
    frame: {
      type: 'read',
      id: 14,
      stream: '$all',
      from: { after: 100 },
      direction: 'forward',
      limit: 1000,
      filter: { keys: ['order-42', 'order-7'] },
    },
  },
  {
    name: 'read: pattern from {at: n}',
    direction: 'client',
    frame: { type: 'read', id: 15, stream: 'orders.*', from: { at: 102 } },
  },
  // surface, invalidate, streams, info
  { name: 'surface', direction: 'client', frame: { type: 'surface', id: 16, stream: 'orders.42' } },
  { name: 'invalidate: minimal', direction: 'client', frame: { type: 'invalidate', id: 17, stream: 'orders.42', tx: 2 } },
  {
    name: 'invalidate: with a reason',
    direction: 'client',
    frame: { type: 'invalidate', id: 18, stream: 'orders.42', tx: 2, reason: 'payment reversed' },
  },
  { name: 'streams: minimal', direction: 'client', frame: { type: 'streams', id: 19 } },
  {
    name: 'streams: prefix, after and limit',
    direction: 'client',
    frame: { type: 'streams', id: 20, prefix: 'orders.', after: 'orders.42', limit: 2 },
  },
  { name: 'info', direction: 'client', frame: { type: 'info', id: 21 } },
  // keep-alive, both directions
  { name: 'ping from a client: no nonce', direction: 'client', frame: { type: 'ping' } },
  { name: 'ping from a client: with a nonce', direction: 'client', frame: { type: 'ping', nonce: 1 } },
  { name: 'pong from a client: with a nonce', direction: 'client', frame: { type: 'pong', nonce: 7 } },
  { name: 'pong from a client: no nonce', direction: 'client', frame: { type: 'pong' } },
  { name: 'ping from a server', direction: 'server', frame: { type: 'ping', nonce: 7 } },
  { name: 'pong from a server', direction: 'server', frame: { type: 'pong', nonce: 1 } },
  // welcome, reject
  {
    name: 'welcome',
    direction: 'server',
    frame: { type: 'welcome', version: 1, server: 'tauon-1', heartbeat: 10_000, limits: LIMITS },
  },
  {
    name: 'reject: unsupported-version',
    direction: 'server',
    frame: { type: 'reject', code: 'unsupported-version', message: 'this server speaks protocol versions 1', versions: [1] },
  },
  {
    name: 'reject: unauthorized',
    direction: 'server',
    frame: { type: 'reject', code: 'unauthorized', message: 'the token was refused', versions: [1] },
  },
  // appended
  {
    name: 'appended: one event',
    direction: 'server',
    frame: { type: 'appended', id: 0, stream: 'orders', tx: 1, seqs: [1], positions: [1] },
  },
  {
    name: 'appended: several events, some duplicates',
    direction: 'server',
    frame: { type: 'appended', id: 7, stream: 'shapes', tx: 4, seqs: [8, 9, 3, 10, 11], positions: [208, 209, 150, 210, 211], dups: [2] },
  },
  {
    name: 'appended: every event a duplicate (the original ack)',
    direction: 'server',
    frame: { type: 'appended', id: 30, stream: 'orders', tx: 1, seqs: [1], positions: [1], dups: [0] },
  },
  {
    name: 'appended: positions above 2^32',
    direction: 'server',
    frame: {
      type: 'appended',
      id: 4_294_967_296,
      stream: 'sensor.1',
      tx: 4_294_967_297,
      seqs: [4_294_967_297],
      positions: [9_007_199_254_740_991],
    },
  },
  // events, caught-up, fell-behind, complete
  {
    name: 'events: one event with required fields only',
    direction: 'server',
    frame: { type: 'events', sub: 1, events: [{ id: 'e-1', type: 'OrderPlaced', stream: 'orders', seq: 1, pos: 1, tx: 1, recorded: RECORDED }] },
  },
  {
    name: 'events: several streams, every optional field',
    direction: 'server',
    frame: { type: 'events', sub: 6, events: [storedPlaced, storedPaid, storedShipped] },
  },
  {
    name: 'events: the $invalidated system event',
    direction: 'server',
    frame: { type: 'events', sub: 4, events: [storedInvalidated] },
  },
  { name: 'caught-up: nothing examined', direction: 'server', frame: { type: 'caught-up', sub: 3, at: 0 } },
  { name: 'caught-up', direction: 'server', frame: { type: 'caught-up', sub: 6, at: 104 } },
  { name: 'fell-behind', direction: 'server', frame: { type: 'fell-behind', sub: 6, at: 2_500 } },
  { name: 'complete', direction: 'server', frame: { type: 'complete', sub: 3 } },
  // page
  {
    name: 'page: forward, more to come',
    direction: 'server',
    frame: { type: 'page', id: 11, events: [storedPlaced, storedPaid], next: { after: 2 } },
  },
  {
    name: 'page: backward, more to come',
    direction: 'server',
    frame: { type: 'page', id: 12, events: [storedPaid, storedPlaced], next: { before: 1 } },
  },
  { name: 'page: empty, at the end', direction: 'server', frame: { type: 'page', id: 13, events: [], next: null } },
  {
    name: 'page: answer to surface',
    direction: 'server',
    frame: { type: 'page', id: 16, events: [storedInvalidated], next: null },
  },
  // stream-list, server-info, error
  {
    name: 'stream-list: a full page',
    direction: 'server',
    frame: {
      type: 'stream-list',
      id: 20,
      streams: [
        { stream: 'orders.42', head: 3, count: 3, tx: 3, lastPos: 104, lastRecorded: RECORDED + 20 },
        { stream: 'orders.7', head: 1, count: 1, tx: 1, lastPos: 103, lastRecorded: RECORDED + 9 },
      ],
      next: 'orders.7',
    },
  },
  { name: 'stream-list: empty, the last page', direction: 'server', frame: { type: 'stream-list', id: 19, streams: [], next: null } },
  {
    name: 'server-info',
    direction: 'server',
    frame: {
      type: 'server-info',
      id: 21,
      server: 'tauon-1',
      version: 1,
      versions: [1],
      stores: ['lmdb'],
      heartbeat: 10_000,
      limits: LIMITS,
      head: 104,
    },
  },
  {
    name: 'error: of the connection (no id, no sub)',
    direction: 'server',
    frame: { type: 'error', code: 'protocol', message: 'the session has already said hello' },
  },
  {
    name: 'error: bad-frame naming the request',
    direction: 'server',
    frame: { type: 'error', id: 40, code: 'bad-frame', message: 'bad "append" frame: stream: a stream name has no "*" and does not start with "$"' },
  },
  {
    name: 'error: wrong-expected-version with details',
    direction: 'server',
    frame: {
      type: 'error',
      id: 6,
      code: 'wrong-expected-version',
      message: 'stream orders.42: expected version 7, actual 3',
      details: { stream: 'orders.42', expected: 7, actual: 3 },
    },
  },
  {
    name: 'error: condition-failed with details',
    direction: 'server',
    frame: {
      type: 'error',
      id: 9,
      code: 'condition-failed',
      message: "stream bookings.42: the append's condition failed: a matching event is stored at position 312",
      details: { stream: 'bookings.42', pos: 312 },
    },
  },
  {
    name: 'error: chain-broken',
    direction: 'server',
    frame: {
      type: 'error',
      id: 42,
      code: 'chain-broken',
      message: 'stream orders.42: an earlier append to it failed',
      details: { stream: 'orders.42' },
    },
  },
  {
    name: 'error: a code this version does not know (a receiver takes it, SPEC 7)',
    direction: 'server',
    frame: { type: 'error', id: 4, code: 'some-future-code', message: 'a later revision added this code' },
  },
  {
    name: 'error: of a subscription',
    direction: 'server',
    frame: { type: 'error', sub: 7, code: 'not-found', message: 'no event with id "0b6f7a52-2c1e-4b8e-9a57-2f0d3c1e9b11" in the selected stream' },
  },  // consumer groups (SPEC 17)
  {
    name: 'welcome: with the store and the groups feature',
    direction: 'server',
    frame: { type: 'welcome', version: 1, server: 'tauon-1', heartbeat: 10_000, limits: LIMITS, store: STORE, features: ['groups'] },
  },
  {
    name: 'welcome: an empty feature list',
    direction: 'server',
    frame: { type: 'welcome', version: 1, server: 'tauon-1', heartbeat: 10_000, limits: LIMITS, store: STORE, features: [] },
  },
  {
    name: 'welcome: a feature this version does not know',
    direction: 'server',
    frame: { type: 'welcome', version: 1, server: 'tauon-1', heartbeat: 10_000, limits: LIMITS, features: ['groups', 'some-future-feature'] },
  },
  {
    name: 'server-info: with the store, the groups feature and the group count',
    direction: 'server',
    frame: {
      type: 'server-info',
      id: 22,
      server: 'tauon-1',
      version: 1,
      versions: [1],
      stores: ['postgres'],
      heartbeat: 10_000,
      limits: LIMITS,
      head: 104,
      store: STORE,
      features: ['groups'],
      groups: 3,
    },
  },
  { name: 'consume: minimal', direction: 'client', frame: { type: 'consume', sub: 1, group: 'billing', stream: 'orders.*', credit: 100 } },
  {
    name: 'consume: every optional field',
    direction: 'client',
    frame: {
      type: 'consume',
      sub: 2,
      group: 'shipping',
      stream: 'orders.42',
      filter: { types: ['OrderPaid'], keys: ['order-42'] },
      partitions: 4,
      from: 'end',
      credit: 500,
      member: 'shipper-1',
      maxUnacked: 200,
      ackTimeoutMs: 5000,
      maxDeliveries: 3,
      leaseMs: 2000,
    },
  },
  {
    name: 'consume: $all, 1024 partitions, a group name of 200 code points, the smallest timeouts, no credit',
    direction: 'client',
    frame: {
      type: 'consume',
      sub: 3,
      group: `g${'\u{1F600}'.repeat(199)}`,
      stream: '$all',
      partitions: 1024,
      from: 'start',
      credit: 0,
      maxUnacked: 100_000,
      ackTimeoutMs: 100,
      maxDeliveries: 1,
      leaseMs: 500,
    },
  },
  {
    name: 'consume: one partition, the largest timeouts and maxDeliveries',
    direction: 'client',
    frame: { type: 'consume', sub: 4, group: 'one', stream: 'orders.*', partitions: 1, credit: 1, maxDeliveries: 1000, ackTimeoutMs: 3_600_000, leaseMs: 600_000 },
  },
  { name: 'ack: by position', direction: 'client', frame: { type: 'ack', sub: 1, part: 3, gen: 4, pos: [103, 107] } },
  { name: 'ack: cumulative (upTo)', direction: 'client', frame: { type: 'ack', sub: 1, part: 0, gen: 1, upTo: 102 } },
  { name: 'ack: by position and cumulative', direction: 'client', frame: { type: 'ack', sub: 1, part: 1023, gen: 9_007_199_254_740_991, pos: [9_007_199_254_740_991], upTo: 4_294_967_296 } },
  { name: 'nack: the server\'s backoff', direction: 'client', frame: { type: 'nack', sub: 1, part: 3, gen: 4, pos: 108 } },
  { name: 'nack: with retryMs', direction: 'client', frame: { type: 'nack', sub: 1, part: 3, gen: 4, pos: 108, retryMs: 1000 } },
  { name: 'nack: retryMs 0 (again as soon as credit allows)', direction: 'client', frame: { type: 'nack', sub: 1, part: 3, gen: 4, pos: 108, retryMs: 0 } },
  { name: 'nack: park with a reason', direction: 'client', frame: { type: 'nack', sub: 1, part: 3, gen: 4, pos: 109, park: 'invalid address' } },
  {
    name: 'ack: neither pos nor upTo (valid frame; the session answers error "bad-frame", SPEC 17.7)',
    direction: 'client',
    frame: { type: 'ack', sub: 1, part: 0, gen: 1 },
  },
  {
    name: 'nack: both retryMs and park (valid frame; the session answers error "bad-frame", SPEC 17.7)',
    direction: 'client',
    frame: { type: 'nack', sub: 1, part: 0, gen: 1, pos: 5, retryMs: 100, park: 'bad' },
  },
  { name: 'release', direction: 'client', frame: { type: 'release', sub: 1, part: 2, gen: 3 } },
  { name: 'groups', direction: 'client', frame: { type: 'groups', id: 23 } },
  { name: 'group', direction: 'client', frame: { type: 'group', id: 24, group: 'billing' } },
  { name: 'replay-parked', direction: 'client', frame: { type: 'replay-parked', id: 25, group: 'billing' } },
  {
    name: 'assigned: partitions, one revoking',
    direction: 'server',
    frame: {
      type: 'assigned',
      sub: 1,
      member: 'billing-a',
      parts: [
        { part: 0, gen: 1 },
        { part: 1, gen: 2 },
        { part: 2, gen: 3, revoking: true },
      ],
    },
  },
  { name: 'assigned: no partitions', direction: 'server', frame: { type: 'assigned', sub: 2, member: '0193a1c2-7d4e-7f00-8a1b-2c3d4e5f6a7b', parts: [] } },
  {
    name: 'deliver: two events, first deliveries',
    direction: 'server',
    frame: { type: 'deliver', sub: 1, part: 0, gen: 1, events: [storedPlaced, storedPaid], deliveries: [1, 1] },
  },
  {
    name: 'deliver: delivered again',
    direction: 'server',
    frame: { type: 'deliver', sub: 1, part: 3, gen: 4, events: [storedShipped], deliveries: [2] },
  },
  {
    name: 'group-list: one group of each kind',
    direction: 'server',
    frame: {
      type: 'group-list',
      id: 23,
      groups: [
        { group: 'billing', stream: 'orders.*', partitions: 4, members: 2, lag: 12, parked: 1 },
        { group: 'shipping', stream: 'orders.42', filter: { types: ['OrderPaid'] }, partitions: 16, members: 0, lag: 0, parked: 0 },
      ],
    },
  },
  { name: 'group-list: none', direction: 'server', frame: { type: 'group-list', id: 23, groups: [] } },
  {
    name: 'group-info',
    direction: 'server',
    frame: {
      type: 'group-info',
      id: 24,
      group: {
        group: 'billing',
        stream: 'orders.*',
        partitions: 2,
        members: 1,
        lag: 3,
        parked: 1,
        created: TIME,
        head: 104,
        memberList: [{ member: 'billing-a', expires: TIME + 12_000, parts: [0] }],
        partitionList: [
          { part: 0, owner: 'billing-a', gen: 3, revoking: true, checkpoint: 101, head: 104, lag: 3, parked: 1 },
          { part: 1, owner: null, gen: 2, checkpoint: 104, head: 104, lag: 0, parked: 0 },
        ],
      },
    },
  },
  {
    name: 'group-info: a group with a filter that never had a member',
    direction: 'server',
    frame: {
      type: 'group-info',
      id: 26,
      group: {
        group: 'audit',
        stream: '$all',
        filter: { keys: ['order-42'] },
        partitions: 1,
        members: 0,
        lag: 0,
        parked: 0,
        created: TIME,
        head: 0,
        memberList: [],
        partitionList: [{ part: 0, owner: null, gen: 0, checkpoint: 0, head: 0, lag: 0, parked: 0 }],
      },
    },
  },
  { name: 'replaying', direction: 'server', frame: { type: 'replaying', id: 25, group: 'billing', parked: 2 } },
  {
    name: 'error: fenced, answering an ack',
    direction: 'server',
    frame: { type: 'error', sub: 1, code: 'fenced', message: 'partition 3 is not held at generation 4', details: { part: 3, gen: 4 } },
  },
  {
    name: 'error: group-mismatch',
    direction: 'server',
    frame: {
      type: 'error',
      sub: 5,
      code: 'group-mismatch',
      message: 'group "billing" consumes "orders.*" over 4 partitions',
      details: { group: 'billing', stream: 'orders.*', partitions: 4 },
    },
  },
  {
    name: 'error: unsupported',
    direction: 'server',
    frame: { type: 'error', id: 23, code: 'unsupported', message: 'this server keeps no consumer groups' },
  },
  // projections (SPEC 18)
  {
    name: 'welcome: with the groups and projections features',
    direction: 'server',
    frame: { type: 'welcome', version: 1, server: 'tauon-1', heartbeat: 10_000, limits: LIMITS, store: STORE, features: ['groups', 'projections'] },
  },
  {
    name: 'server-info: with the projections feature and their statuses',
    direction: 'server',
    frame: {
      type: 'server-info',
      id: 29,
      server: 'tauon-1',
      version: 1,
      versions: [1],
      stores: ['lmdb'],
      heartbeat: 10_000,
      limits: LIMITS,
      head: 104,
      store: STORE,
      features: ['projections'],
      projections: [
        { name: 'kit-counts', stream: '$all', status: 'running', checkpoint: 104, lag: 0 },
        { name: 'order-totals', stream: 'orders.*', status: 'failed', error: 'total is not a number', checkpoint: 101, lag: 3 },
      ],
    },
  },
  { name: 'projections', direction: 'client', frame: { type: 'projections', id: 30 } },
  { name: 'projection: an unkeyed projection (no key)', direction: 'client', frame: { type: 'projection', id: 31, name: 'order-totals' } },
  { name: 'projection: one key', direction: 'client', frame: { type: 'projection', id: 32, name: 'kit-counts', key: 'OrderPlaced' } },
  {
    name: 'projection: at least a position, waiting up to the longest timeout',
    direction: 'client',
    frame: { type: 'projection', id: 33, name: 'kit-counts', key: 'OrderPlaced', atLeast: 104, timeoutMs: 60_000 },
  },
  { name: 'projection: the empty key, no wait', direction: 'client', frame: { type: 'projection', id: 34, name: 'order-totals', key: '', atLeast: 0, timeoutMs: 0 } },
  { name: 'projection-entries: first page', direction: 'client', frame: { type: 'projection-entries', id: 35, name: 'kit-counts' } },
  { name: 'projection-entries: after a key, with a limit', direction: 'client', frame: { type: 'projection-entries', id: 36, name: 'kit-counts', after: 'OrderPaid', limit: 2 } },
  { name: 'watch-projection: every key', direction: 'client', frame: { type: 'watch-projection', sub: 8, name: 'kit-counts' } },
  { name: 'watch-projection: one key', direction: 'client', frame: { type: 'watch-projection', sub: 9, name: 'kit-counts', key: 'OrderPlaced' } },
  { name: 'rebuild-projection', direction: 'client', frame: { type: 'rebuild-projection', id: 37, name: 'kit-counts' } },
  {
    name: 'projection-list: a running keyed projection and a failed one',
    direction: 'server',
    frame: {
      type: 'projection-list',
      id: 30,
      projections: [
        { name: 'kit-counts', stream: '$all', keyed: true, status: 'running', checkpoint: 104, head: 104, lag: 0 },
        { name: 'order-totals', stream: 'orders.*', keyed: false, status: 'failed', error: 'total is not a number', checkpoint: 101, head: 104, lag: 3 },
      ],
    },
  },
  { name: 'projection-list: none', direction: 'server', frame: { type: 'projection-list', id: 30, projections: [] } },
  {
    name: 'projection-state: found',
    direction: 'server',
    frame: { type: 'projection-state', id: 32, name: 'kit-counts', key: 'OrderPlaced', value: 2, found: true, checkpoint: 104 },
  },
  {
    name: 'projection-state: an unkeyed projection\'s state, a map',
    direction: 'server',
    frame: { type: 'projection-state', id: 31, name: 'order-totals', key: '', value: { orders: 2, total: 25 }, found: true, checkpoint: 101 },
  },
  {
    name: 'projection-state: not found',
    direction: 'server',
    frame: { type: 'projection-state', id: 34, name: 'kit-counts', key: 'Nothing', found: false, checkpoint: 0 },
  },
  {
    name: 'projection-page: a page with more to come',
    direction: 'server',
    frame: {
      type: 'projection-page',
      id: 35,
      name: 'kit-counts',
      entries: [
        { key: 'OrderPaid', value: 1 },
        { key: 'OrderPlaced', value: 2 },
      ],
      next: 'OrderPlaced',
      checkpoint: 104,
    },
  },
  { name: 'projection-page: the last page', direction: 'server', frame: { type: 'projection-page', id: 36, name: 'kit-counts', entries: [{ key: 'OrderShipped', value: 1 }], next: null, checkpoint: 104 } },
  { name: 'projection-watching', direction: 'server', frame: { type: 'projection-watching', sub: 8, name: 'kit-counts', checkpoint: 104 } },
  {
    name: 'projection-changed: a new value',
    direction: 'server',
    frame: { type: 'projection-changed', sub: 8, name: 'kit-counts', key: 'OrderPlaced', value: 3, checkpoint: 105 },
  },
  { name: 'projection-changed: a key removed', direction: 'server', frame: { type: 'projection-changed', sub: 8, name: 'kit-counts', key: 'OrderPaid', checkpoint: 106 } },
  { name: 'projection-rebuilding', direction: 'server', frame: { type: 'projection-rebuilding', id: 37, name: 'kit-counts' } },
  {
    name: 'error: timeout, a projection short of atLeast',
    direction: 'server',
    frame: { type: 'error', id: 33, code: 'timeout', message: 'projection "kit-counts" is at 104, not at 110, after 5000 ms', details: { checkpoint: 104 } },
  },
  {
    name: 'error: projection-failed',
    direction: 'server',
    frame: {
      type: 'error',
      id: 33,
      code: 'projection-failed',
      message: 'projection "order-totals" failed at checkpoint 101, before position 110: total is not a number',
      details: { checkpoint: 101, error: 'total is not a number' },
    },
  },
  {
    name: 'error: a watch that fell too far behind',
    direction: 'server',
    frame: { type: 'error', sub: 8, code: 'overloaded', message: 'the watch of "kit-counts" fell more than 10000 changes behind' },
  },
];

/** The valid vectors, each frame encoded by the real codecs. */
export function buildValidVectors(): ValidVector[] {
  return VALID_FRAMES.map(({ name, direction, frame, parsed }) => ({
    name,
    direction,
    frame,
    ...(parsed === undefined ? {} : { parsed }),
    json: new TextDecoder().decode(jsonCodec.encode(frame)),
    msgpack: hex(msgpackCodec.encode(frame)),
  }));
}

// ---- invalid inputs ----

const json = (value: unknown): string => JSON.stringify(value);
const msgpack = (value: object): string => hex(msgpackCodec.encode(value));
const event = { id: 'e-1', type: 'T' };
const append = (fields: Record<string, unknown>) => ({ type: 'append', id: 1, stream: 's', events: [event], ...fields });
const subscribe = (fields: Record<string, unknown>) => ({ type: 'subscribe', sub: 1, stream: 's', mode: 'cold', credit: 10, ...fields });
const read = (fields: Record<string, unknown>) => ({ type: 'read', id: 1, stream: 's', ...fields });
const consume = (fields: Record<string, unknown>) => ({ type: 'consume', sub: 1, group: 'g', stream: 's', credit: 10, ...fields });
const stored = { id: 'e-1', type: 'T', stream: 's', seq: 1, pos: 1, tx: 1, recorded: RECORDED };
const ping = msgpackCodec.encode({ type: 'ping', nonce: 1 });

/** Inputs that must fail, and how. */
export function buildInvalidVectors(): InvalidVector[] {
  const vectors: InvalidVector[] = [];
  const add = (name: string, direction: VectorDirection, encoding: InvalidEncoding, input: string, code: InvalidVector['code']) =>
    vectors.push({ name, direction, encoding, input, code });
  const badClientJson = (name: string, value: unknown) => add(name, 'client', 'json', json(value), 'bad-frame');

  // Bytes that are not a frame in any codec.
  add('raw: no bytes at all', 'client', 'raw', '', 'bad-frame');
  add('raw: JSON cut short', 'client', 'raw', utf8('{"type":"pi'), 'bad-frame');
  add('raw: JSON text that is not UTF-8', 'client', 'raw', '7b2274797065223a2270ff6e67227d', 'bad-frame');
  add('raw: JSON after a space (the first byte says msgpack)', 'client', 'raw', utf8(' {"type":"ping"}'), 'bad-frame');
  add('raw: msgpack reserved byte 0xc1', 'client', 'raw', 'c1', 'bad-frame');
  add('raw: two msgpack values in one frame', 'client', 'raw', hex(ping) + 'c0', 'bad-frame');
  add('msgpack: map cut short', 'client', 'msgpack', hex(ping.subarray(0, ping.length - 3)), 'bad-frame');
  add('msgpack: string cut short', 'client', 'msgpack', '81a474797065a570696e67', 'bad-frame');
  add('msgpack: map announcing more entries than it has', 'client', 'msgpack', '82a474797065a470696e67', 'bad-frame');

  // Decodable values that are not maps with a string `type`.
  add('json: an array', 'client', 'json', '[{"type":"ping"}]', 'bad-frame');
  add('json: a string', 'client', 'json', '"ping"', 'bad-frame');
  add('json: a number', 'client', 'json', '42', 'bad-frame');
  add('json: null', 'client', 'json', 'null', 'bad-frame');
  add('json: an empty map', 'client', 'json', '{}', 'bad-frame');
  add('json: type is null', 'client', 'json', '{"type":null}', 'bad-frame');
  add('json: type is a number', 'client', 'json', '{"type":1}', 'bad-frame');
  add('msgpack: an array', 'client', 'msgpack', '9101', 'bad-frame');
  add('msgpack: nil', 'client', 'msgpack', 'c0', 'bad-frame');
  add('msgpack: a positive integer', 'client', 'msgpack', '2a', 'bad-frame');
  add('msgpack: a string', 'client', 'msgpack', 'a470696e67', 'bad-frame');
  add('msgpack: map without type', 'client', 'msgpack', msgpack({ nonce: 1 }), 'bad-frame');
  add('msgpack: type as binary, not string', 'client', 'msgpack', '81a474797065c40470696e67', 'bad-frame');

  // Types that are not frames, or not frames the receiver takes.
  add('json: unknown type', 'client', 'json', '{"type":"subscribe-all","sub":1}', 'unknown-frame');
  add('json: type in the wrong case', 'client', 'json', '{"type":"PING"}', 'unknown-frame');
  add('json: empty type', 'client', 'json', '{"type":""}', 'unknown-frame');
  add('msgpack: unknown type', 'client', 'msgpack', msgpack({ type: 'nope' }), 'unknown-frame');
  add('json: unknown type sent by a server', 'server', 'json', '{"type":"event","sub":1}', 'unknown-frame');
  add('json: a server frame sent to the server (welcome)', 'client', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 10_000, limits: LIMITS }), 'unknown-frame');
  add('json: a server frame sent to the server (appended)', 'client', 'json', json({ type: 'appended', id: 1, stream: 's', tx: 1, seqs: [1], positions: [1] }), 'unknown-frame');
  add('json: a client frame sent to the client (hello)', 'server', 'json', json({ type: 'hello', versions: [1] }), 'unknown-frame');
  add('msgpack: a client frame sent to the client (append)', 'server', 'msgpack', msgpack(append({})), 'unknown-frame');

  // Missing required fields.
  badClientJson('hello: no versions', { type: 'hello' });
  badClientJson('hello: empty versions', { type: 'hello', versions: [] });
  badClientJson('hello: more than 16 versions', { type: 'hello', versions: Array.from({ length: 17 }, (_, index) => index + 1) });
  badClientJson('append: no id', { type: 'append', stream: 's', events: [event] });
  badClientJson('append: no stream', { type: 'append', id: 1, events: [event] });
  badClientJson('append: no events', { type: 'append', id: 1, stream: 's' });
  badClientJson('append: empty events', append({ events: [] }));
  badClientJson('append: event without type', append({ events: [{ id: 'e-1' }] }));
  badClientJson('append: condition without types', append({ condition: { stream: '$all', after: 0 } }));
  badClientJson('append: condition with no types', append({ condition: { stream: '$all', types: [], after: 0 } }));
  badClientJson('append: condition with 9 types', append({ condition: { stream: '$all', types: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], after: 0 } }));
  badClientJson('append: condition with no keys', append({ condition: { stream: '$all', types: ['T'], keys: [], after: 0 } }));
  badClientJson('append: condition without after', append({ condition: { stream: '$all', types: ['T'] } }));
  badClientJson('append: condition after negative', append({ condition: { stream: '$all', types: ['T'], after: -1 } }));
  badClientJson('append: condition on a glob, not a selector', append({ condition: { stream: 'a*b', types: ['T'], after: 0 } }));
  badClientJson('append: condition not a map', append({ condition: 'seats.*' }));
  badClientJson('subscribe: no mode', { type: 'subscribe', sub: 1, stream: 's', credit: 1 });
  badClientJson('subscribe: no credit', { type: 'subscribe', sub: 1, stream: 's', mode: 'hot' });
  badClientJson('subscribe: no sub', { type: 'subscribe', stream: 's', mode: 'hot', credit: 1 });
  badClientJson('credit: no n', { type: 'credit', sub: 1 });
  badClientJson('unsubscribe: no sub', { type: 'unsubscribe' });
  badClientJson('read: no id', { type: 'read', stream: 's' });
  badClientJson('read: no stream', { type: 'read', id: 1 });
  badClientJson('surface: no stream', { type: 'surface', id: 1 });
  badClientJson('invalidate: no tx', { type: 'invalidate', id: 1, stream: 's' });
  badClientJson('streams: no id', { type: 'streams' });
  badClientJson('info: no id', { type: 'info' });
  add('welcome: no limits', 'server', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 10_000 }), 'bad-frame');
  add('welcome: a limit missing', 'server', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 10_000, limits: { ...LIMITS, maxCredit: undefined } }), 'bad-frame');
  add('reject: no versions', 'server', 'json', json({ type: 'reject', code: 'unauthorized', message: 'no' }), 'bad-frame');
  add('appended: no seqs', 'server', 'json', json({ type: 'appended', id: 1, stream: 's', tx: 1, positions: [1] }), 'bad-frame');
  add('events: no sub', 'server', 'json', json({ type: 'events', events: [stored] }), 'bad-frame');
  add('events: empty events', 'server', 'json', json({ type: 'events', sub: 1, events: [] }), 'bad-frame');
  add('events: event without recorded', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, recorded: undefined }] }), 'bad-frame');
  add('events: event without id', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, id: undefined }] }), 'bad-frame');
  add('caught-up: no at', 'server', 'json', json({ type: 'caught-up', sub: 1 }), 'bad-frame');
  add('page: no next', 'server', 'json', json({ type: 'page', id: 1, events: [] }), 'bad-frame');
  add('stream-list: no next', 'server', 'json', json({ type: 'stream-list', id: 1, streams: [] }), 'bad-frame');
  add('server-info: no head', 'server', 'json', json({ type: 'server-info', id: 1, server: 's', version: 1, versions: [1], stores: [], heartbeat: 1, limits: LIMITS }), 'bad-frame');
  add('error: no message', 'server', 'json', json({ type: 'error', code: 'internal' }), 'bad-frame');

  // Fields of the wrong type.
  badClientJson('append: id as a string', append({ id: '1' }));
  badClientJson('append: id as a fraction', append({ id: 1.5 }));
  badClientJson('append: id above 2^53 - 1', append({ id: 9_007_199_254_740_992 }));
  badClientJson('append: events as a map', append({ events: event }));
  badClientJson('append: dedupe as a string', append({ dedupe: 'yes' }));
  badClientJson('append: newChain as a number', append({ newChain: 1 }));
  badClientJson('append: meta value not a string', append({ events: [{ ...event, meta: { attempt: 2 } }] }));
  badClientJson('append: time as an ISO string', append({ events: [{ ...event, time: '2023-11-14T22:13:20Z' }] }));
  badClientJson('append: negative time', append({ events: [{ ...event, time: -1 }] }));
  badClientJson('append: empty event type', append({ events: [{ id: 'e-1', type: '' }] }));
  badClientJson('append: empty event id', append({ events: [{ id: '', type: 'T' }] }));
  badClientJson('append: schema longer than 1024', append({ events: [{ ...event, schema: 'x'.repeat(1025) }] }));
  badClientJson('hello: versions as strings', { type: 'hello', versions: ['1'] });
  badClientJson('hello: version 0', { type: 'hello', versions: [0] });
  badClientJson('subscribe: unknown mode', subscribe({ mode: 'warm' }));
  badClientJson('subscribe: credit as a string', subscribe({ credit: '10' }));
  badClientJson('subscribe: empty filter types', subscribe({ filter: { types: [] } }));
  badClientJson('subscribe: filter keys not strings', subscribe({ filter: { keys: [42] } }));
  badClientJson('read: unknown direction', read({ direction: 'sideways' }));
  badClientJson('read: limit 0', read({ limit: 0 }));
  badClientJson('invalidate: tx 0', { type: 'invalidate', id: 1, stream: 's', tx: 0 });
  badClientJson('streams: prefix as a number', { type: 'streams', id: 1, prefix: 1 });
  badClientJson('ping: nonce null', { type: 'ping', nonce: null });
  badClientJson('ping: nonce as a fraction', { type: 'ping', nonce: 0.5 });
  add('error: empty code', 'server', 'json', json({ type: 'error', code: '', message: 'no' }), 'bad-frame');
  add('error: details not a map', 'server', 'json', json({ type: 'error', code: 'internal', message: 'no', details: 'x' }), 'bad-frame');
  add('welcome: heartbeat 0', 'server', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 0, limits: LIMITS }), 'bad-frame');
  add('welcome: empty server', 'server', 'json', json({ type: 'welcome', version: 1, server: '', heartbeat: 10_000, limits: LIMITS }), 'bad-frame');
  add('appended: dup index negative', 'server', 'json', json({ type: 'appended', id: 1, stream: 's', tx: 1, seqs: [1], positions: [1], dups: [-1] }), 'bad-frame');
  add('msgpack: append id as a float 64 fraction', 'client', 'msgpack', msgpack(append({ id: 0.5 })), 'bad-frame');

  // Negative and zero positions.
  badClientJson('append: negative id', append({ id: -1 }));
  badClientJson('append: negative expected version', append({ expected: -1 }));
  badClientJson('subscribe: negative sub', subscribe({ sub: -1 }));
  add('events: negative seq', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, seq: -1 }] }), 'bad-frame');
  add('events: seq 0', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, seq: 0 }] }), 'bad-frame');
  add('events: pos 0', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, pos: 0 }] }), 'bad-frame');
  add('events: tx 0', 'server', 'json', json({ type: 'events', sub: 1, events: [{ ...stored, tx: 0 }] }), 'bad-frame');
  add('appended: seq 0', 'server', 'json', json({ type: 'appended', id: 1, stream: 's', tx: 1, seqs: [0], positions: [1] }), 'bad-frame');
  add('msgpack: events with a negative seq', 'server', 'msgpack', msgpack({ type: 'events', sub: 1, events: [{ ...stored, seq: -1 }] }), 'bad-frame');
  add('caught-up: negative at', 'server', 'json', json({ type: 'caught-up', sub: 1, at: -1 }), 'bad-frame');

  // Expected versions.
  badClientJson('append: expected version unknown word', append({ expected: 'some' }));
  badClientJson('append: expected version as a fraction', append({ expected: 1.5 }));
  badClientJson('append: expected version null', append({ expected: null }));
  badClientJson('append: expected version as a numeric string', append({ expected: '3' }));

  // Stream names and selectors.
  badClientJson('append: stream starting with "$"', append({ stream: '$x' }));
  badClientJson('append: stream "$all"', append({ stream: '$all' }));
  badClientJson('append: stream with "*" inside', append({ stream: 'a*b' }));
  badClientJson('append: stream pattern', append({ stream: 'orders.*' }));
  badClientJson('append: empty stream', append({ stream: '' }));
  badClientJson('append: stream of 257 characters', append({ stream: 's'.repeat(257) }));
  badClientJson('append: stream of 257 code points (emoji)', append({ stream: '\u{1F600}'.repeat(257) }));
  badClientJson('append: event id of 257 characters', append({ events: [{ id: 'i'.repeat(257), type: 'T' }] }));
  badClientJson('append: event type of 257 characters', append({ events: [{ id: 'e-1', type: 't'.repeat(257) }] }));
  badClientJson('append: event key of 257 characters', append({ events: [{ ...event, key: 'k'.repeat(257) }] }));
  badClientJson('subscribe: stream starting with "$"', subscribe({ stream: '$x' }));
  badClientJson('subscribe: "*" inside the name', subscribe({ stream: 'a*b' }));
  badClientJson('subscribe: "**"', subscribe({ stream: '**' }));
  badClientJson('subscribe: pattern "$all*"', subscribe({ stream: '$all*' }));
  badClientJson('subscribe: empty stream', subscribe({ stream: '' }));
  badClientJson('read: selector of 257 characters', read({ stream: `${'s'.repeat(256)}*` }));
  badClientJson('surface: a pattern', { type: 'surface', id: 1, stream: 'orders.*' });
  badClientJson('surface: $all', { type: 'surface', id: 1, stream: '$all' });
  badClientJson('invalidate: stream starting with "$"', { type: 'invalidate', id: 1, stream: '$x', tx: 1 });
  add('msgpack: append to "$x"', 'client', 'msgpack', msgpack(append({ stream: '$x' })), 'bad-frame');

  // Start positions.
  badClientJson('subscribe: from an unknown word', subscribe({ from: 'beginning' }));
  badClientJson('subscribe: from an empty map', subscribe({ from: {} }));
  badClientJson('subscribe: from {after: -1}', subscribe({ from: { after: -1 } }));
  badClientJson('subscribe: from {after: 1.5}', subscribe({ from: { after: 1.5 } }));
  badClientJson('subscribe: from {after: "1"}', subscribe({ from: { after: '1' } }));
  badClientJson('subscribe: from {at: 0}', subscribe({ from: { at: 0 } }));
  badClientJson('subscribe: from two keys {after, at}', subscribe({ from: { after: 1, at: 2 } }));
  badClientJson('subscribe: from {after} with an unknown key', subscribe({ from: { after: 1, inclusive: true } }));
  badClientJson('subscribe: from {event: ""}', subscribe({ from: { event: '' } }));
  badClientJson('subscribe: from {time: -5}', subscribe({ from: { time: -5 } }));
  badClientJson('subscribe: from a bare number', subscribe({ from: 5 }));
  badClientJson('read: from {before: 0}', read({ from: { before: 0 }, direction: 'backward' }));
  badClientJson('read: from null', read({ from: null }));
  add('page: next as a number', 'server', 'json', json({ type: 'page', id: 1, events: [], next: 3 }), 'bad-frame');

  // Credit.
  badClientJson('credit: n as a fraction', { type: 'credit', sub: 1, n: 1.5 });
  badClientJson('credit: n as a string', { type: 'credit', sub: 1, n: '5' });
  badClientJson('credit: n above 2^53 - 1', { type: 'credit', sub: 1, n: 2 ** 60 });
  add('msgpack: credit n as a float 64 fraction', 'client', 'msgpack', msgpack({ type: 'credit', sub: 1, n: 2.5 }), 'bad-frame');

  // Consumer groups (SPEC 17).
  badClientJson('consume: no group', { type: 'consume', sub: 1, stream: 's', credit: 10 });
  badClientJson('consume: no stream', { type: 'consume', sub: 1, group: 'g', credit: 10 });
  badClientJson('consume: no credit', { type: 'consume', sub: 1, group: 'g', stream: 's' });
  badClientJson('consume: no sub', { type: 'consume', group: 'g', stream: 's', credit: 10 });
  badClientJson('consume: partitions 0', consume({ partitions: 0 }));
  badClientJson('consume: partitions 1025', consume({ partitions: 1025 }));
  badClientJson('consume: partitions as a fraction', consume({ partitions: 1.5 }));
  badClientJson('consume: group name starting with "$"', consume({ group: '$system' }));
  badClientJson('consume: group name with "*"', consume({ group: 'billing*' }));
  badClientJson('consume: empty group name', consume({ group: '' }));
  badClientJson('consume: group name of 201 code points', consume({ group: 'g'.repeat(201) }));
  badClientJson('consume: from a start position other than "start" or "end"', consume({ from: { after: 0 } }));
  badClientJson('consume: stream not a selector', consume({ stream: 'a*b' }));
  badClientJson('consume: ackTimeoutMs below 100', consume({ ackTimeoutMs: 99 }));
  badClientJson('consume: leaseMs below 500', consume({ leaseMs: 499 }));
  badClientJson('consume: maxDeliveries 0', consume({ maxDeliveries: 0 }));
  badClientJson('consume: maxDeliveries 1001', consume({ maxDeliveries: 1001 }));
  badClientJson('consume: maxUnacked 0', consume({ maxUnacked: 0 }));
  badClientJson('consume: maxUnacked above 100000', consume({ maxUnacked: 100_001 }));
  badClientJson('consume: empty member', consume({ member: '' }));
  badClientJson('ack: gen 0', { type: 'ack', sub: 1, part: 0, gen: 0, upTo: 5 });
  badClientJson('ack: no gen', { type: 'ack', sub: 1, part: 0, upTo: 5 });
  badClientJson('ack: no part', { type: 'ack', sub: 1, gen: 1, upTo: 5 });
  badClientJson('ack: empty pos', { type: 'ack', sub: 1, part: 0, gen: 1, pos: [] });
  badClientJson('ack: pos 0', { type: 'ack', sub: 1, part: 0, gen: 1, pos: [0] });
  badClientJson('ack: upTo 0', { type: 'ack', sub: 1, part: 0, gen: 1, upTo: 0 });
  badClientJson('ack: more than 10000 positions', { type: 'ack', sub: 1, part: 0, gen: 1, pos: Array.from({ length: 10_001 }, (_, i) => i + 1) });
  badClientJson('nack: no pos', { type: 'nack', sub: 1, part: 0, gen: 1 });
  badClientJson('nack: gen 0', { type: 'nack', sub: 1, part: 0, gen: 0, pos: 5 });
  badClientJson('nack: negative retryMs', { type: 'nack', sub: 1, part: 0, gen: 1, pos: 5, retryMs: -1 });
  badClientJson('nack: empty park reason', { type: 'nack', sub: 1, part: 0, gen: 1, pos: 5, park: '' });
  badClientJson('release: gen 0', { type: 'release', sub: 1, part: 0, gen: 0 });
  badClientJson('release: negative part', { type: 'release', sub: 1, part: -1, gen: 1 });
  badClientJson('groups: no id', { type: 'groups' });
  badClientJson('group: no group', { type: 'group', id: 1 });
  badClientJson('group: group name starting with "$"', { type: 'group', id: 1, group: '$all' });
  badClientJson('replay-parked: no group', { type: 'replay-parked', id: 1 });
  add('msgpack: consume with 1025 partitions', 'client', 'msgpack', msgpack(consume({ partitions: 1025 })), 'bad-frame');
  add('json: a server group frame sent to the server (deliver)', 'client', 'json', json({ type: 'deliver', sub: 1, part: 0, gen: 1, events: [stored], deliveries: [1] }), 'unknown-frame');
  add('json: a client group frame sent to the client (ack)', 'server', 'json', json({ type: 'ack', sub: 1, part: 0, gen: 1, upTo: 1 }), 'unknown-frame');
  add('assigned: gen 0', 'server', 'json', json({ type: 'assigned', sub: 1, member: 'm', parts: [{ part: 0, gen: 0 }] }), 'bad-frame');
  add('assigned: no member', 'server', 'json', json({ type: 'assigned', sub: 1, parts: [] }), 'bad-frame');
  add('assigned: revoking not a boolean', 'server', 'json', json({ type: 'assigned', sub: 1, member: 'm', parts: [{ part: 0, gen: 1, revoking: 1 }] }), 'bad-frame');
  add('deliver: gen 0', 'server', 'json', json({ type: 'deliver', sub: 1, part: 0, gen: 0, events: [stored], deliveries: [1] }), 'bad-frame');
  add('deliver: no deliveries', 'server', 'json', json({ type: 'deliver', sub: 1, part: 0, gen: 1, events: [stored] }), 'bad-frame');
  add('deliver: deliveries 0', 'server', 'json', json({ type: 'deliver', sub: 1, part: 0, gen: 1, events: [stored], deliveries: [0] }), 'bad-frame');
  add('deliver: empty events', 'server', 'json', json({ type: 'deliver', sub: 1, part: 0, gen: 1, events: [], deliveries: [] }), 'bad-frame');
  add('group-list: no groups', 'server', 'json', json({ type: 'group-list', id: 1 }), 'bad-frame');
  add('group-list: a summary with 0 partitions', 'server', 'json', json({ type: 'group-list', id: 1, groups: [{ group: 'g', stream: 's', partitions: 0, members: 0, lag: 0, parked: 0 }] }), 'bad-frame');
  add('group-info: no group', 'server', 'json', json({ type: 'group-info', id: 1 }), 'bad-frame');
  add('replaying: no parked', 'server', 'json', json({ type: 'replaying', id: 1, group: 'g' }), 'bad-frame');
  add('welcome: features not an array', 'server', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 10_000, limits: LIMITS, features: 'groups' }), 'bad-frame');
  add('welcome: an empty feature name', 'server', 'json', json({ type: 'welcome', version: 1, server: 's', heartbeat: 10_000, limits: LIMITS, features: [''] }), 'bad-frame');
  add('server-info: negative groups', 'server', 'json', json({ type: 'server-info', id: 1, server: 's', version: 1, versions: [1], stores: [], heartbeat: 1, limits: LIMITS, head: 0, groups: -1 }), 'bad-frame');

  // Projections (SPEC 18).
  badClientJson('projection: no name', { type: 'projection', id: 1 });
  badClientJson('projection: name starting with "$"', { type: 'projection', id: 1, name: '$counts' });
  badClientJson('projection: name with "*"', { type: 'projection', id: 1, name: 'counts*' });
  badClientJson('projection: name of 201 code points', { type: 'projection', id: 1, name: 'p'.repeat(201) });
  badClientJson('projection: key of 257 code points', { type: 'projection', id: 1, name: 'p', key: 'k'.repeat(257) });
  badClientJson('projection: negative atLeast', { type: 'projection', id: 1, name: 'p', atLeast: -1 });
  badClientJson('projection: timeoutMs above 60000', { type: 'projection', id: 1, name: 'p', atLeast: 1, timeoutMs: 60_001 });
  badClientJson('projection: timeoutMs as a fraction', { type: 'projection', id: 1, name: 'p', timeoutMs: 1.5 });
  badClientJson('projections: no id', { type: 'projections' });
  badClientJson('projection-entries: limit 0', { type: 'projection-entries', id: 1, name: 'p', limit: 0 });
  badClientJson('projection-entries: after not a string', { type: 'projection-entries', id: 1, name: 'p', after: 5 });
  badClientJson('watch-projection: no sub', { type: 'watch-projection', name: 'p' });
  badClientJson('watch-projection: empty name', { type: 'watch-projection', sub: 1, name: '' });
  badClientJson('rebuild-projection: no name', { type: 'rebuild-projection', id: 1 });
  add('msgpack: projection with a negative atLeast', 'client', 'msgpack', msgpack({ type: 'projection', id: 1, name: 'p', atLeast: -1 }), 'bad-frame');
  add('json: a server projection frame sent to the server (projection-state)', 'client', 'json', json({ type: 'projection-state', id: 1, name: 'p', key: '', found: false, checkpoint: 0 }), 'unknown-frame');
  add('json: a client projection frame sent to the client (watch-projection)', 'server', 'json', json({ type: 'watch-projection', sub: 1, name: 'p' }), 'unknown-frame');
  add('projection-state: no found', 'server', 'json', json({ type: 'projection-state', id: 1, name: 'p', key: '', checkpoint: 0 }), 'bad-frame');
  add('projection-state: negative checkpoint', 'server', 'json', json({ type: 'projection-state', id: 1, name: 'p', key: '', found: false, checkpoint: -1 }), 'bad-frame');
  add('projection-page: next missing', 'server', 'json', json({ type: 'projection-page', id: 1, name: 'p', entries: [], checkpoint: 0 }), 'bad-frame');
  add('projection-page: an entry without key', 'server', 'json', json({ type: 'projection-page', id: 1, name: 'p', entries: [{ value: 1 }], next: null, checkpoint: 0 }), 'bad-frame');
  add('projection-page: an entry without value', 'server', 'json', json({ type: 'projection-page', id: 1, name: 'p', entries: [{ key: 'k' }], next: null, checkpoint: 0 }), 'bad-frame');
  add('projection-list: an unknown status', 'server', 'json', json({ type: 'projection-list', id: 1, projections: [{ name: 'p', stream: 's', keyed: false, status: 'paused', checkpoint: 0, head: 0, lag: 0 }] }), 'bad-frame');
  add('projection-changed: no checkpoint', 'server', 'json', json({ type: 'projection-changed', sub: 1, name: 'p', key: 'k', value: 1 }), 'bad-frame');
  add('projection-watching: no sub', 'server', 'json', json({ type: 'projection-watching', name: 'p', checkpoint: 0 }), 'bad-frame');
  add('server-info: a projection status without lag', 'server', 'json', json({ type: 'server-info', id: 1, server: 's', version: 1, versions: [1], stores: [], heartbeat: 1, limits: LIMITS, head: 0, projections: [{ name: 'p', stream: 's', status: 'running', checkpoint: 0 }] }), 'bad-frame');
  add('projection-rebuilding: no name', 'server', 'json', json({ type: 'projection-rebuilding', id: 1 }), 'bad-frame');

  return vectors;
}

/** The text of each vector file, as committed. */
export function renderVectorFiles(): { valid: string; invalid: string } {
  return {
    valid: `${JSON.stringify(buildValidVectors(), null, 2)}\n`,
    invalid: `${JSON.stringify(buildInvalidVectors(), null, 2)}\n`,
  };
}

/** Reads the committed vector files. */
export function readVectorFiles(): { valid: string; invalid: string } {
  return { valid: readFileSync(VALID_VECTORS_FILE, 'utf8'), invalid: readFileSync(INVALID_VECTORS_FILE, 'utf8') };
}

function main(): void {
  const files = renderVectorFiles();
  writeFileSync(VALID_VECTORS_FILE, files.valid);
  writeFileSync(INVALID_VECTORS_FILE, files.invalid);
  console.log(`wrote ${buildValidVectors().length} valid and ${buildInvalidVectors().length} invalid vectors to ${VECTORS_DIRECTORY}`);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main();
