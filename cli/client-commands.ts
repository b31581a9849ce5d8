import { connect, type Client } from '../client/index.js';
import { AppendCondition, type StartPosition } from '../protocol/frames.js';
import type { ClientTransport } from '../transports/transport.js';
import { wsTransport } from '../transports/ws/index.js';
import { DEFAULT_URL, parseCommand, stringFlag, UsageError } from './arguments.js';
import { eventJson } from './event-output.js';
import { parseStartPosition } from './start-position.js';
import { trustedCa } from './trusted-ca.js';

export const EMIT_USAGE =
  'tauon emit [--url URL] [--service NAME] [--token T] [--ca FILE] [--key K] [--id ID] [--expected any|none|exists|SEQ] [--condition JSON] STREAM TYPE [JSON]';
export const TAIL_USAGE =
  'tauon tail [--url URL] [--service NAME] [--token T] [--ca FILE] STREAM [--from start|end|N|after:N|event:ID|time:T] [--mode cold|hot|hot-cold]';
export const STREAMS_USAGE = 'tauon streams [--url URL] [--service NAME] [--token T] [--ca FILE] [--prefix P]';
/** Said once under the usage: where the client commands find their token. */
export const TOKEN_USAGE = '    T: the token for a server that authenticates; default: the TAUON_TOKEN environment variable';
export const DISCOVER_USAGE = 'tauon discover [--url AMQP-URL] [--ca FILE] [--wait MS]';

/**
 * The transport for a `--url`: `ws://` / `wss://`, or `amqp://` / `amqps://` with the service
 * queue; over TLS it trusts the CA of `--ca` or `TAUON_CA` when one is given. The AMQP transport
 * (and amqplib, an optional dependency) is loaded for amqp URLs only.
 */
export async function transportFor(values: Record<string, string | boolean | undefined>): Promise<ClientTransport> {
  const url = stringFlag(values, 'url', DEFAULT_URL);
  const ca = trustedCa(values, url);
  const tls = ca === undefined ? {} : { ca };
  if (/^amqps?:\/\//.test(url)) {
    const { amqpTransport } = await import('../transports/amqp/index.js');
    return amqpTransport(url, { service: stringFlag(values, 'service', 'tauon'), ...tls });
  }
  if (/^wss?:\/\//.test(url)) return wsTransport(url, tls);
  throw new UsageError(`--url is a ws://, wss://, amqp:// or amqps:// URL, not "${url}"`);
}

/** The token to send: `--token`, else the TAUON_TOKEN environment variable, else none. */
export function tokenOf(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv = process.env): { token?: string } {
  const flag = values['token'];
  if (typeof flag === 'string') return { token: flag };
  const variable = env['TAUON_TOKEN'];
  return variable === undefined || variable === '' ? {} : { token: variable };
}

/**
 * Connects once, without reconnecting: a command line call should fail fast and say why. The
 * commands that print events as JSON talk JSON (`codec: 'json'`), so that the server, not the
 * command, refuses data JSON cannot carry (`unrepresentable`, SPEC 4.9) instead of it being altered.
 */
export async function open(values: Record<string, string | boolean | undefined>, codec: 'msgpack' | 'json' = 'msgpack'): Promise<Client> {
  return connect(await transportFor(values), { ...tokenOf(values), codec, reconnect: { enabled: false } });
}

/** `tauon emit`: appends one event and prints the ack as one JSON line. */
export async function emit(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    service: { type: 'string' },
    ca: { type: 'string' },
    token: { type: 'string' },
    key: { type: 'string' },
    id: { type: 'string' },
    expected: { type: 'string' },
    condition: { type: 'string' },
  });
  const [stream, type, json] = positionals;
  if (stream === undefined || type === undefined || positionals.length > 3) {
    throw new UsageError('emit takes STREAM TYPE and an optional JSON payload');
  }
  let data: unknown;
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch {
      throw new UsageError(`the payload is not JSON: ${json}`);
    }
  }
  const expectedText = values['expected'];
  const expected =
    typeof expectedText !== 'string' ? undefined : /^\d+$/.test(expectedText) ? Number(expectedText) : expectedText;
  if (expected !== undefined && typeof expected === 'string' && !['any', 'none', 'exists'].includes(expected)) {
    throw new UsageError('--expected is any, none, exists or a seq');
  }
  const condition = conditionOf(values['condition']);
  const client = await open(values);
  try {
    const ack = await client.emit(
      stream,
      {
        type,
        ...(data === undefined ? {} : { data }),
        ...(typeof values['key'] === 'string' ? { key: values['key'] } : {}),
        ...(typeof values['id'] === 'string' ? { id: values['id'] } : {}),
      },
      {
        ...(expected === undefined ? {} : { expected: expected as 'any' | 'none' | 'exists' | number }),
        ...(condition === undefined ? {} : { condition }),
      },
    );
    out(JSON.stringify({ stream: ack.stream, seq: ack.seq, pos: ack.pos, tx: ack.tx, duplicate: ack.duplicates[0] ?? false }));
  } finally {
    await client.close();
  }
}

/** The `--condition` of `tauon emit` (SPEC 5.8.1): `{"stream", "types", "keys"?, "after"}` as JSON. */
function conditionOf(text: string | boolean | undefined): AppendCondition | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--condition is not JSON: ${text}`);
  }
  const parsed = AppendCondition.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--condition is {"stream": SELECTOR, "types": [...], "keys"?: [...], "after": POS}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data;
}

/** `tauon tail`: prints one JSON line per event (as `tauon export` does); in cold mode it exits at the end. */
export async function tail(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    service: { type: 'string' },
    ca: { type: 'string' },
    token: { type: 'string' },
    from: { type: 'string' },
    mode: { type: 'string' },
  });
  const [stream] = positionals;
  if (stream === undefined || positionals.length > 1) throw new UsageError('tail takes one STREAM');
  const mode = stringFlag(values, 'mode', 'hot-cold');
  if (mode !== 'cold' && mode !== 'hot' && mode !== 'hot-cold') throw new UsageError('--mode is cold, hot or hot-cold');
  const from: StartPosition = parseStartPosition(stringFlag(values, 'from', mode === 'hot' ? 'end' : 'start'));
  if (mode === 'hot' && from !== 'end') throw new UsageError('--mode hot starts at the end: give no --from, or --from end');

  // JSON on the wire too: data JSON cannot carry ends the tail with `unrepresentable` (SPEC 4.9)
  // instead of being printed altered (a Uint8Array would print as an object of numbers).
  const client = await connect(await transportFor(values), { ...tokenOf(values), codec: 'json' });
  try {
    await new Promise<void>((done, fail) => {
      const subscription = client
        .subscribe(stream, { mode, ...(mode === 'hot' ? {} : { from }) })
        .subscribe({ next: (event) => out(eventJson(event)), error: fail, complete: done });
      const stop = () => {
        subscription.unsubscribe();
        done();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await client.close();
  }
}

/** `tauon streams`: prints one JSON line per stream (name, head, count, last position and time). */
export async function streams(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    service: { type: 'string' },
    ca: { type: 'string' },
    token: { type: 'string' },
    prefix: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const client = await open(values);
  try {
    let after: string | undefined;
    // Pages until the server says there is no more; bounded by the number of streams.
    for (;;) {
      const page = await client.streams({
        ...(typeof values['prefix'] === 'string' ? { prefix: values['prefix'] } : {}),
        ...(after === undefined ? {} : { after }),
        limit: 1000,
      });
      for (const summary of page.streams) out(JSON.stringify(summary));
      if (page.next === null) break;
      after = page.next;
    }
  } finally {
    await client.close();
  }
}

/** `tauon discover`: listens to a broker's announcements and prints one JSON line per live server. */
export async function discover(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, { url: { type: 'string' }, ca: { type: 'string' }, wait: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const url = stringFlag(values, 'url', 'amqp://127.0.0.1');
  if (!/^amqps?:\/\//.test(url)) throw new UsageError('discover takes an amqp:// or amqps:// --url');
  const waitMs = Number(stringFlag(values, 'wait', '2500'));
  if (!Number.isInteger(waitMs) || waitMs < 0) throw new UsageError('--wait is a number of milliseconds');
  const ca = trustedCa(values, url);
  const { discoverServers } = await import('../transports/amqp/index.js');
  for (const server of await discoverServers(url, { waitMs, ...(ca === undefined ? {} : { ca }) })) out(JSON.stringify(server));
}
