import { connect, type Client } from '../../client/index.js';
import type { StartPosition, StoredEvent } from '../../protocol/frames.js';
import { wsTransport } from '../../transports/ws/index.js';
import { DEFAULT_URL, parseCommand, stringFlag, UsageError } from './arguments.js';

export const EMIT_USAGE = 'tauon emit [--url URL] [--key K] [--id ID] [--expected any|none|exists|SEQ] STREAM TYPE [JSON]';
export const TAIL_USAGE = 'tauon tail [--url URL] STREAM [--from start|end|SEQ] [--mode cold|hot|hot-cold]';
export const STREAMS_USAGE = 'tauon streams [--url URL] [--prefix P]';

/** Connects once, without reconnecting: a command line call should fail fast and say why. */
async function open(url: string): Promise<Client> {
  return connect(wsTransport(url), { reconnect: { enabled: false } });
}

/** `tauon emit`: appends one event and prints the ack as one JSON line. */
export async function emit(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    key: { type: 'string' },
    id: { type: 'string' },
    expected: { type: 'string' },
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
  const client = await open(stringFlag(values, 'url', DEFAULT_URL));
  try {
    const ack = await client.emit(
      stream,
      {
        type,
        ...(data === undefined ? {} : { data }),
        ...(typeof values['key'] === 'string' ? { key: values['key'] } : {}),
        ...(typeof values['id'] === 'string' ? { id: values['id'] } : {}),
      },
      expected === undefined ? {} : { expected: expected as 'any' | 'none' | 'exists' | number },
    );
    out(JSON.stringify({ stream: ack.stream, seq: ack.seq, pos: ack.pos, tx: ack.tx, duplicate: ack.duplicates[0] ?? false }));
  } finally {
    await client.close();
  }
}

/** `tauon tail`: prints one JSON line per event; in cold mode it exits at the end. */
export async function tail(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    from: { type: 'string' },
    mode: { type: 'string' },
  });
  const [stream] = positionals;
  if (stream === undefined || positionals.length > 1) throw new UsageError('tail takes one STREAM');
  const mode = stringFlag(values, 'mode', 'hot-cold');
  if (mode !== 'cold' && mode !== 'hot' && mode !== 'hot-cold') throw new UsageError('--mode is cold, hot or hot-cold');
  const fromText = stringFlag(values, 'from', mode === 'hot' ? 'end' : 'start');
  let from: StartPosition;
  if (fromText === 'start' || fromText === 'end') from = fromText;
  else if (/^\d+$/.test(fromText) && Number(fromText) >= 1) from = { at: Number(fromText) };
  else throw new UsageError('--from is start, end or a seq (1 or more)');

  const client = await connect(wsTransport(stringFlag(values, 'url', DEFAULT_URL)));
  try {
    await new Promise<void>((done, fail) => {
      const subscription = client
        .subscribe(stream, { mode, ...(mode === 'hot' ? {} : { from }) })
        .subscribe({ next: (event) => out(eventLine(event)), error: fail, complete: done });
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
  const { values, positionals } = parseCommand(args, { url: { type: 'string' }, prefix: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const client = await open(stringFlag(values, 'url', DEFAULT_URL));
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

/** One event as a JSON line: where it is, what it is, and its payload. */
function eventLine(event: StoredEvent): string {
  const { stream, seq, pos, tx, type, key, id, data, meta, time, recorded } = event;
  return JSON.stringify({ stream, seq, pos, tx, type, key, id, data, meta, time, recorded });
}
