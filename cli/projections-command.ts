import { TauonError } from '../protocol/errors.js';
import type { ProjectionEntry, ProjectionSummary } from '../protocol/frames.js';
import { DEFAULT_URL, parseCommand, stringFlag, UsageError } from './arguments.js';
import { tokenOf, transportFor } from './client-commands.js';
import { RequestSession } from './request-session.js';
import { textTable } from './text-table.js';

export const PROJECTIONS_USAGE =
  'tauon projections [--url URL] [--service NAME] [--token T] [--ca FILE] [--json] [NAME [KEY] | rebuild NAME]';

export const PROJECTIONS_HELP = `usage: ${PROJECTIONS_USAGE}

Shows the projections a server runs (SPEC 18), as text, or as JSON with --json.

  tauon projections                 every projection the token may read: its selector, whether it
                                    is keyed, its status, checkpoint, head and lag (in positions)
  tauon projections NAME            one projection: its summary, then its state (an unkeyed one's
                                    value, or a keyed one's entries in key order, --limit of them
                                    after --after)
  tauon projections NAME KEY        one key's value (an unkeyed projection's is the key "");
                                    --at-least POS waits until the state includes that position
                                    of its selector, up to --timeout MS (default 5000)
  tauon projections rebuild NAME    starts the projection over from the start of its selector
                                    (needs write on its selector)

  --url URL       ws://, wss://, amqp:// or amqps:// (default ${DEFAULT_URL}; --service names the queue)
  --token T       the token for a server that authenticates (default: TAUON_TOKEN)
  --ca FILE       a private CA to trust over TLS (default: TAUON_CA)
  --limit N       entries of a keyed projection to show (default 100)
  --after KEY     show the entries after this key (the "next" of the previous page)
  --at-least POS  with KEY: the state must include this position
  --timeout MS    with --at-least: how long the server waits for it (default 5000, at most 60000)
  --json          the answer as JSON: an array of projections; {"projection","entries","next"};
                  a key's {"name","key","found","value","checkpoint"}; {"rebuilding"}

A key without a value is said (exit 0); a projection the server does not run is not-found (exit 1);
a server that runs no projections is told apart (exit 1, code "unsupported").

Example:
  tauon projections --url ws://127.0.0.1:7600
  # NAME        SELECTOR  KEYED  STATUS   CHECKPOINT  HEAD  LAG
  # kit-counts  $all      yes    running  104         104   0
  tauon projections kit-counts OrderPlaced --at-least 104 --json`;

/** `tauon projections`: lists the projections, shows one or one key, or rebuilds one. */
export async function projections(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    service: { type: 'string' },
    ca: { type: 'string' },
    token: { type: 'string' },
    json: { type: 'boolean' },
    limit: { type: 'string' },
    after: { type: 'string' },
    'at-least': { type: 'string' },
    timeout: { type: 'string' },
  });
  const json = values['json'] === true;
  const request = requestOf(positionals);
  const limit = optionalCount(values['limit'], 'limit', 1);
  const atLeast = optionalCount(values['at-least'], 'at-least', 0);
  const timeoutMs = optionalCount(values['timeout'], 'timeout', 0);
  const after = typeof values['after'] === 'string' ? values['after'] : undefined;
  if (atLeast === undefined && timeoutMs !== undefined) throw new UsageError('--timeout goes with --at-least');
  if (request.kind !== 'key' && atLeast !== undefined) throw new UsageError('--at-least goes with a NAME and a KEY');
  if (request.kind !== 'one' && (limit !== undefined || after !== undefined)) throw new UsageError('--limit and --after go with one NAME');
  const session = await RequestSession.open(await transportFor(values), tokenOf(values));
  try {
    if (session.welcome.features?.includes('projections') !== true) {
      throw new TauonError(
        'unsupported',
        `the server at ${stringFlag(values, 'url', DEFAULT_URL)} runs no projections (none are registered, its store keeps none, or it predates them)`,
      );
    }
    switch (request.kind) {
      case 'list': {
        const list = await session.ask((id) => ({ type: 'projections', id }), 'projection-list');
        for (const line of json ? [JSON.stringify(list.projections)] : projectionListLines(list.projections)) out(line);
        break;
      }
      case 'one': {
        const list = await session.ask((id) => ({ type: 'projections', id }), 'projection-list');
        const summary = list.projections.find((one) => one.name === request.name);
        if (summary === undefined) throw new TauonError('not-found', `no projection "${request.name}" (that this token may read)`);
        const page = await session.ask(
          (id) => ({ type: 'projection-entries', id, name: request.name, ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) }),
          'projection-page',
        );
        if (json) out(JSON.stringify({ projection: summary, entries: page.entries, next: page.next }));
        else for (const line of projectionLines(summary, page.entries, page.next)) out(line);
        break;
      }
      case 'key': {
        const state = await session.ask(
          (id) => ({
            type: 'projection',
            id,
            name: request.name,
            key: request.key,
            ...(atLeast === undefined ? {} : { atLeast }),
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
          }),
          'projection-state',
        );
        if (json) out(JSON.stringify({ name: state.name, key: state.key, found: state.found, ...(state.found ? { value: state.value } : {}), checkpoint: state.checkpoint }));
        else out(state.found ? `${JSON.stringify(state.value)}  (checkpoint ${state.checkpoint})` : `no value for key "${state.key}" (checkpoint ${state.checkpoint})`);
        break;
      }
      case 'rebuild': {
        const rebuilding = await session.ask((id) => ({ type: 'rebuild-projection', id, name: request.name }), 'projection-rebuilding');
        out(json ? JSON.stringify({ rebuilding: rebuilding.name }) : `rebuilding projection ${rebuilding.name} from the start of its selector`);
        break;
      }
    }
  } finally {
    await session.close();
  }
}

type ProjectionsRequest = { kind: 'list' } | { kind: 'one' | 'rebuild'; name: string } | { kind: 'key'; name: string; key: string };

function requestOf(positionals: readonly string[]): ProjectionsRequest {
  const [first, second, ...rest] = positionals;
  if (first === undefined) return { kind: 'list' };
  if (first === 'rebuild') {
    if (second === undefined || rest.length > 0) throw new UsageError('projections rebuild takes one projection NAME');
    return { kind: 'rebuild', name: second };
  }
  if (rest.length > 0) throw new UsageError(`projections takes a NAME and a KEY at most; unexpected "${rest[0]}"`);
  return second === undefined ? { kind: 'one', name: first } : { kind: 'key', name: first, key: second };
}

/** A flag's whole number, at least `min`, or undefined when the flag is absent. */
function optionalCount(value: string | boolean | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isSafeInteger(number) || number < min) {
    throw new UsageError(`--${flag} takes a whole number of ${min} or more, not "${String(value)}"`);
  }
  return number;
}

/** The table of `tauon projections`, or a line saying there are none. */
export function projectionListLines(list: readonly ProjectionSummary[]): string[] {
  if (list.length === 0) return ['no projections'];
  return textTable(
    ['NAME', 'SELECTOR', 'KEYED', 'STATUS', 'CHECKPOINT', 'HEAD', 'LAG'],
    list.map((one) => [one.name, one.stream, one.keyed ? 'yes' : 'no', statusText(one), String(one.checkpoint), String(one.head), String(one.lag)]),
  );
}

/** What `tauon projections NAME` prints: the projection in brief, then its state. */
export function projectionLines(summary: ProjectionSummary, entries: readonly ProjectionEntry[], next: string | null): string[] {
  const lines = [
    `projection  ${summary.name}`,
    `selector    ${summary.stream}${summary.keyed ? ' (keyed)' : ''}`,
    `status      ${statusText(summary)}`,
    `checkpoint  ${summary.checkpoint}, head ${summary.head}, lag ${summary.lag}`,
    '',
  ];
  if (!summary.keyed) {
    const state = entries.find((entry) => entry.key === '');
    lines.push(state === undefined ? 'no state yet' : JSON.stringify(state.value));
    return lines;
  }
  if (entries.length === 0) lines.push('no entries');
  else lines.push(...textTable(['KEY', 'VALUE'], entries.map((entry) => [entry.key, JSON.stringify(entry.value)])));
  if (next !== null) lines.push('', `more entries follow: --after ${JSON.stringify(next)}`);
  return lines;
}

function statusText(summary: ProjectionSummary): string {
  return summary.status === 'failed' && summary.error !== undefined ? `failed: ${summary.error}` : summary.status;
}
