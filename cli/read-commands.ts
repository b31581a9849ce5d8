import type { EventFilter, StartPosition } from '../protocol/frames.js';
import type { ServerInfo } from '../client/index.js';
import { DEFAULT_URL, parseCommand, UsageError } from './arguments.js';
import { open } from './client-commands.js';
import { eventJson, eventTable, printsJson } from './event-output.js';
import { formatStartPosition, FROM_FORMS, parseStartPosition } from './start-position.js';
import { textTable } from './text-table.js';

/** The flags every client command takes: where the server is and who asks. */
export const CONNECTION_FLAGS = {
  url: { type: 'string' },
  service: { type: 'string' },
  ca: { type: 'string' },
  token: { type: 'string' },
} as const;

/** The help lines of CONNECTION_FLAGS and --json, shared by the commands' --help. */
export const CONNECTION_HELP = `  --url URL      ws://, wss://, amqp:// or amqps:// (default ${DEFAULT_URL}; --service names the queue)
  --token T      the token for a server that authenticates (default: TAUON_TOKEN)
  --ca FILE      a private CA to trust over TLS (default: TAUON_CA)`;

const JSON_HELP = '  --json         JSON lines even on a terminal (the default when stdout is a pipe or a file)';

export const READ_USAGE = `tauon read [--url URL] [--token T] STREAM|PREFIX*|$all [--from ${FROM_FORMS}] [--backward] [--limit N] [--types A,B] [--keys K,L] [--json]`;
export const SURFACE_USAGE = 'tauon surface [--url URL] [--token T] STREAM [--json]';
export const INFO_USAGE = 'tauon info [--url URL] [--token T] [--json]';
export const INVALIDATE_USAGE = 'tauon invalidate [--url URL] [--token T] STREAM TX [--reason TEXT] [--json]';

export const READ_HELP = `usage: ${READ_USAGE}

Reads one page of events (SPEC 6.4.6), forward (oldest first) or backward (newest first), and
says where the next page starts. Positions are seqs for one stream, store-wide positions (pos)
for a pattern (orders.*) or $all.

  --from P       where the page starts (default: start forward, end backward):
                   start, end, N (at N, inclusive), after:N, before:N (backward), event:ID,
                   time:2026-01-31T12:00:00Z or time:MS (the first event recorded at or after it)
  --backward     newest first
  --limit N      the most events of the page (default 100; the server caps it at its maxReadLimit)
  --types A,B    only events of these types
  --keys K,L     only events of these keys
${JSON_HELP}
${CONNECTION_HELP}

On a terminal: a table, then "next: --from after:N" (or "next: none" at the end). As JSON: one
stored event per line on stdout, and the next position on stderr.

Example:
  tauon read orders.42 --limit 2
  # POS  STREAM     SEQ  TX  RECORDED                  TYPE         KEY  DATA
  # 17   orders.42  1    1   2026-01-31T12:00:00.000Z  OrderPlaced  -    {"total":12}
  # 18   orders.42  2    2   2026-01-31T12:00:01.000Z  OrderPaid    -    -
  # next: --from after:2
  tauon read 'orders.*' --backward --limit 10 --json | jq .type`;

export const SURFACE_HELP = `usage: ${SURFACE_USAGE}

The newest event of each key of one stream (SPEC 6.4.7), in seq order: the current state of
every entity in it. Events without a key are left out.

${JSON_HELP}
${CONNECTION_HELP}

Example:
  tauon surface prices
  tauon surface prices --json | jq -c '{key, data}'`;

export const INFO_HELP = `usage: ${INFO_USAGE}

What the server says about itself (SPEC 6.4.10): its id, protocol versions, stores, store
identity, head position, limits, features, and its groups and projections when it has them.

  --json         one JSON object even on a terminal (the default when stdout is not one)
${CONNECTION_HELP}

Example:
  tauon info --url ws://127.0.0.1:7600
  tauon info --json | jq .head`;

export const INVALIDATE_HELP = `usage: ${INVALIDATE_USAGE}

Marks transaction TX of STREAM invalid (SPEC 6.4.8): appends a $invalidated event naming it to
the stream, deleting nothing. Readers see it in order. Not idempotent: twice writes two events.
The tx of an event is in the TX column of tauon read.

  --reason TEXT  why, for people (at most 1024 characters)
  --json         the new event's place as JSON even on a terminal
${CONNECTION_HELP}

Example:
  tauon invalidate orders.42 2 --reason "payment reversed"
  # invalidated tx 2 of orders.42: $invalidated is seq 3 (tx 3, pos 104)`;

/** `tauon read`: one page of events, and where the next starts. */
export async function read(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    ...CONNECTION_FLAGS,
    from: { type: 'string' },
    backward: { type: 'boolean' },
    limit: { type: 'string' },
    types: { type: 'string' },
    keys: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [selector] = positionals;
  if (selector === undefined || positionals.length > 1) throw new UsageError('read takes one STREAM, PREFIX* or $all');
  const from = typeof values['from'] === 'string' ? parseStartPosition(values['from']) : undefined;
  const limit = typeof values['limit'] === 'string' ? countOf(values['limit'], '--limit') : undefined;
  const filter = filterOf(values);
  const client = await open(values, 'json');
  try {
    const page = await client.read(selector, {
      direction: values['backward'] === true ? 'backward' : 'forward',
      ...(from === undefined ? {} : { from }),
      ...(limit === undefined ? {} : { limit }),
      ...(filter === undefined ? {} : { filter }),
    });
    const next = nextLine(page.next);
    if (printsJson(values)) {
      for (const event of page.events) out(eventJson(event));
      process.stderr.write(`${next}\n`);
    } else {
      for (const line of page.events.length === 0 ? ['(no events)'] : eventTable(page.events)) out(line);
      out(next);
    }
  } finally {
    await client.close();
  }
}

/** `tauon surface`: the newest event of each key of one stream. */
export async function surface(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
  const [stream] = positionals;
  if (stream === undefined || positionals.length > 1) throw new UsageError('surface takes one STREAM');
  const client = await open(values, 'json');
  try {
    const events = await client.surface(stream);
    if (printsJson(values)) for (const event of events) out(eventJson(event));
    else for (const line of events.length === 0 ? ['(no keyed events)'] : eventTable(events)) out(line);
  } finally {
    await client.close();
  }
}

/** `tauon info`: what the server says about itself. */
export async function info(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const client = await open(values);
  try {
    const answer = await client.info();
    if (printsJson(values)) out(JSON.stringify(answer));
    else for (const line of infoLines(answer)) out(line);
  } finally {
    await client.close();
  }
}

/** `tauon invalidate`: marks one transaction of a stream invalid. */
export async function invalidate(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, { ...CONNECTION_FLAGS, reason: { type: 'string' }, json: { type: 'boolean' } });
  const [stream, txText] = positionals;
  if (stream === undefined || txText === undefined || positionals.length > 2) throw new UsageError('invalidate takes STREAM TX');
  const tx = countOf(txText, 'TX');
  const reason = typeof values['reason'] === 'string' ? values['reason'] : undefined;
  const client = await open(values);
  try {
    const ack = await client.invalidate(stream, tx, reason);
    out(
      printsJson(values)
        ? JSON.stringify({ stream: ack.stream, invalidated: tx, seq: ack.seq, pos: ack.pos, tx: ack.tx })
        : `invalidated tx ${tx} of ${ack.stream}: $invalidated is seq ${ack.seq} (tx ${ack.tx}, pos ${ack.pos})`,
    );
  } finally {
    await client.close();
  }
}

/** The server's info as aligned lines for a terminal. */
export function infoLines(answer: ServerInfo): string[] {
  const rows: string[][] = [
    ['server', answer.server],
    ['store', `${answer.store ?? '-'} (${answer.stores.join(', ')})`],
    ['head', String(answer.head)],
    ['protocol', `${answer.version} (speaks ${answer.versions.join(', ')})`],
    ['heartbeat', `${answer.heartbeat} ms`],
    ['limits', Object.entries(answer.limits).map(([name, value]) => `${name}=${String(value)}`).join(' ')],
    ['features', answer.features === undefined || answer.features.length === 0 ? '-' : answer.features.join(', ')],
  ];
  if (answer.groups !== undefined) rows.push(['groups', String(answer.groups)]);
  for (const projection of answer.projections ?? []) {
    rows.push(['projection', `${projection.name} on ${projection.stream}: ${projection.status}, checkpoint ${projection.checkpoint}, lag ${projection.lag}`]);
  }
  return textTable(['', ''], rows).slice(1);
}

/** Where the next page starts, as the `--from` to pass, or that the read reached the end. */
function nextLine(next: StartPosition | null): string {
  return next === null ? 'next: none (the end)' : `next: --from ${formatStartPosition(next)}`;
}

/** `--types` and `--keys` as an event filter (SPEC 5.9), or none. */
export function filterOf(values: Record<string, string | boolean | undefined>): EventFilter | undefined {
  const listOf = (flag: string) => {
    const text = values[flag];
    if (typeof text !== 'string') return undefined;
    const items = text.split(',').filter((item) => item.length > 0);
    if (items.length === 0) throw new UsageError(`--${flag} is a comma-separated list of one or more names`);
    return items;
  };
  const types = listOf('types');
  const keys = listOf('keys');
  if (types === undefined && keys === undefined) return undefined;
  return { ...(types === undefined ? {} : { types }), ...(keys === undefined ? {} : { keys }) };
}

/** A whole number of 1 or more. */
export function countOf(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${what} is a whole number, 1 or more, not "${text}"`);
  return value;
}
