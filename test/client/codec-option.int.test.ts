import { afterEach, describe, expect, it } from 'vitest';
import { codecNamed as browserCodecNamed, DEFAULT_CODEC as BROWSER_DEFAULT_CODEC } from '../../client/codec-choice.browser.js';
import { connect, TauonError, type Client, type ConnectOptions } from '../../client/index.js';
import { resolveCodec } from '../../client/options.js';
import { JSON_FIRST_BYTE, type Codec, type CodecName } from '../../protocol/codec.js';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { MemoryServerTransport, memoryTransport } from '../../transports/memory/index.js';
import type { ClientTransport, Connection } from '../../transports/transport.js';

// The client's `codec` option: a name or a codec object, and the default of the build (msgpack
// in Node, JSON in a browser build, whose choice client/codec-choice.browser.ts makes; the
// bundle test checks that a browser bundle takes that file and no msgpackr).

/** What `resolveCodec` throws for a value, or undefined when it returns. */
function refusalOf(codec: unknown): TauonError | undefined {
  try {
    resolveCodec(codec as ConnectOptions['codec']);
    return undefined;
  } catch (error) {
    if (error instanceof TauonError) return error;
    throw error;
  }
}

describe('resolveCodec (Node)', () => {
  it('defaults to msgpack, takes both names, and takes a codec object as it is', () => {
    expect(resolveCodec(undefined)).toBe(msgpackCodec);
    expect(resolveCodec('msgpack')).toBe(msgpackCodec);
    expect(resolveCodec('json')).toBe(jsonCodec);
    expect(resolveCodec(jsonCodec)).toBe(jsonCodec);
    expect(resolveCodec(msgpackCodec)).toBe(msgpackCodec);
    const wrapped: Codec = { ...jsonCodec };
    expect(resolveCodec(wrapped)).toBe(wrapped);
  });

  it('refuses an unknown name or an object that is not a codec of the protocol with `unsupported`', () => {
    for (const value of ['xml', '', 'MSGPACK', 42, null, {}, { name: 'json' }, { ...jsonCodec, name: 'cbor' }, { ...msgpackCodec, decode: 'no' }]) {
      const refusal = refusalOf(value);
      expect(refusal?.code, JSON.stringify(value)).toBe('unsupported');
      expect(refusal?.message).toMatch(/unknown codec .*'msgpack', 'json' or a codec object/);
    }
    expect(refusalOf('x'.repeat(10_000))!.message.length).toBeLessThan(200);
  });
});

describe('the browser choice of codecs (client/codec-choice.browser.ts)', () => {
  it('defaults to JSON and knows JSON by name', () => {
    expect(BROWSER_DEFAULT_CODEC).toBe(jsonCodec);
    expect(browserCodecNamed('json')).toBe(jsonCodec);
    expect(browserCodecNamed('cbor' as CodecName)).toBeUndefined();
  });

  it("refuses 'msgpack' by name with `unsupported`, saying how to pass the codec instead", () => {
    let refusal: unknown;
    try {
      browserCodecNamed('msgpack');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(TauonError);
    expect((refusal as TauonError).code).toBe('unsupported');
    expect((refusal as TauonError).message).toContain("import { msgpackCodec } from 'tauon/protocol'");
  });
});

/** A memory transport whose connections note the first byte of every frame the client sends. */
function noting(transport: ClientTransport, firstBytes: number[]): ClientTransport {
  return {
    description: transport.description,
    async connect(): Promise<Connection> {
      const connection = await transport.connect();
      const send = connection.send.bind(connection);
      connection.send = (frame) => {
        firstBytes.push(frame[0]!);
        send(frame);
      };
      return connection;
    },
  };
}

describe('connect with a codec option, against a reference server', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function connected(options: ConnectOptions, firstBytes: number[]): Promise<Client> {
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    const listener = new MemoryServerTransport();
    await server.listen(listener);
    cleanups.push(() => store.close(), () => server.close());
    const client = await connect(noting(memoryTransport(listener), firstBytes), options);
    cleanups.push(() => client.close());
    return client;
  }

  const cases: [string, ConnectOptions, 'json' | 'msgpack'][] = [
    ['no codec (Node: msgpack)', {}, 'msgpack'],
    ["'json'", { codec: 'json' }, 'json'],
    ["'msgpack'", { codec: 'msgpack' }, 'msgpack'],
    ['jsonCodec', { codec: jsonCodec }, 'json'],
    ['msgpackCodec', { codec: msgpackCodec }, 'msgpack'],
  ];
  for (const [name, options, expected] of cases) {
    it(`${name} speaks ${expected} for the whole session`, async () => {
      const firstBytes: number[] = [];
      const client = await connected(options, firstBytes);
      const ack = await client.emit('codec-choice', [{ type: 'Noted', data: { text: 'é', n: 2 ** 40 } }]);
      expect(ack.seqs).toEqual([1]);
      const read = await client.read('codec-choice');
      expect(read.events.map((event) => event.data)).toEqual([{ text: 'é', n: 2 ** 40 }]);
      expect(firstBytes.length).toBeGreaterThanOrEqual(3);
      const isJson = firstBytes.map((byte) => byte === JSON_FIRST_BYTE);
      expect(isJson).toEqual(firstBytes.map(() => expected === 'json'));
    });
  }

  it('over JSON, refuses an emit whose data JSON cannot carry with `unrepresentable`, stores nothing of it, and goes on', async () => {
    const client = await connected({ codec: 'json' }, []);
    for (const value of [new Uint8Array([1, 2]), new Date(5), 2n ** 60n]) {
      const refused = client.emit('codec-binary', { type: 'Blob', data: { value } });
      await expect(refused).rejects.toMatchObject({ code: 'unrepresentable', message: expect.stringMatching(/"Blob" event .*codec: msgpackCodec/) as unknown });
    }
    // Emitted together with one that JSON carries: only the one that cannot be sent fails.
    const [good, bad] = await Promise.allSettled([
      client.emit('codec-binary', { type: 'Text', data: { value: 'ok' } }),
      client.emit('codec-binary', { type: 'Blob', data: { value: new Uint8Array([3]) } }),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { seq: 1 } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'unrepresentable' } });
    expect((await client.read('codec-binary')).events.map((event) => event.type)).toEqual(['Text']);
  });

  it('rejects (never throws) with `unsupported` for a codec it does not know, before dialing', async () => {
    const firstBytes: number[] = [];
    const listener = new MemoryServerTransport();
    const transport = noting(memoryTransport(listener), firstBytes);
    const pending = connect(transport, { codec: 'cbor' as CodecName });
    await expect(pending).rejects.toMatchObject({ code: 'unsupported' });
    expect(firstBytes).toEqual([]);
  });
});
