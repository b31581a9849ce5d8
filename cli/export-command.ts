import type { ReadResult } from '../client/index.js';
import { TauonError } from '../protocol/errors.js';
import type { StartPosition } from '../protocol/frames.js';
import { parseCommand, UsageError } from './arguments.js';
import { open } from './client-commands.js';
import { eventJson } from './event-output.js';
import { Progress } from './progress.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, countOf, filterOf } from './read-commands.js';
import { FROM_FORMS, parseStartPosition } from './start-position.js';
import { StdoutWriter } from './stdout-writer.js';

/** Events asked for per page: the server caps it at its maxReadLimit (1000 for the reference server). */
const DEFAULT_PAGE = 1000;

export const EXPORT_USAGE = `tauon export [--url URL] [--token T] STREAM|PREFIX*|$all [--from ${FROM_FORMS}] [--to N] [--types A,B] [--keys K,L] [--page N] [--skip-unrepresentable]`;

export const EXPORT_HELP = `usage: ${EXPORT_USAGE}

Writes every event the selector matches to stdout, in store order (seq for a stream, pos for a
pattern or $all), one stored event per line as JSON (NDJSON): stream, seq, pos, tx, id, type,
key, data, meta, time, causation, correlation, schema, recorded. tauon import reads it back
into any server: the way to back up a store and to move from one store to another.

It reads page by page and waits for stdout, so a large store never fills memory. The data is
JSON (SPEC 4.3, 4.9): an event whose data JSON cannot carry (binary, a msgpack timestamp, an
integer beyond 2^53 - 1, written by a msgpack producer) stops the export, after the events
before it, with the code "unrepresentable" and the event's stream, seq and pos, rather than be
altered; --from after:N goes on past it, --skip-unrepresentable leaves such events out. Progress goes to stderr when stderr is a terminal, nothing otherwise.

  --from P       where to start (default start): ${FROM_FORMS}
  --to N         stop after position N (a seq for a stream, a pos for a pattern or $all)
  --types A,B    only events of these types (an import of them holds only these)
  --keys K,L     only events of these keys
  --page N       events per read (default ${DEFAULT_PAGE}; the server caps it)
  --skip-unrepresentable   export the rest: leave out each event whose data has no JSON form,
                 naming it on stderr
${CONNECTION_HELP}

Example:
  tauon export '$all' --url ws://old-host:7600 > backup.ndjson
  tauon export 'orders.*' --from time:2026-01-01T00:00:00Z | gzip > orders-2026.ndjson.gz`;

/** `tauon export`: the events of a selector as NDJSON on stdout, in store order. */
export async function exportEvents(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    ...CONNECTION_FLAGS,
    from: { type: 'string' },
    to: { type: 'string' },
    types: { type: 'string' },
    keys: { type: 'string' },
    page: { type: 'string' },
    'skip-unrepresentable': { type: 'boolean' },
  });
  const [selector] = positionals;
  if (selector === undefined || positionals.length > 1) throw new UsageError('export takes one STREAM, PREFIX* or $all');
  let from: StartPosition = typeof values['from'] === 'string' ? parseStartPosition(values['from']) : 'start';
  const to = typeof values['to'] === 'string' ? countOf(values['to'], '--to') : undefined;
  const page = typeof values['page'] === 'string' ? countOf(values['page'], '--page') : DEFAULT_PAGE;
  const filter = filterOf(values);
  // One stream is placed by seq, a pattern or $all by pos (SPEC 5.4).
  const byPos = selector === '$all' || selector.endsWith('*');
  const writer = new StdoutWriter();
  const progress = new Progress();
  let exported = 0;
  let at = 0;
  const skipUnrepresentable = values['skip-unrepresentable'] === true;
  let skipped = 0;
  /** Pages of one event, after a page was refused: up to the refused event, then the usual size again. */
  let stepping = false;
  const client = await open(values, 'json');
  try {
    for (;;) {
      let result: ReadResult;
      try {
        result = await client.read(selector, { from, limit: stepping ? 1 : page, ...(filter === undefined ? {} : { filter }) });
      } catch (error) {
        const refused = unrepresentableAt(error, byPos);
        if (refused === undefined) throw error;
        if (!stepping) {
          // The events of the page before the refused one are exported first (SPEC 4.9: smaller pages reach them).
          stepping = true;
          continue;
        }
        if (!skipUnrepresentable) {
          throw new TauonError('unrepresentable', `${(error as Error).message}; --from after:${refused} goes on past it, --skip-unrepresentable skips such events`, {
            details: (error as TauonError).details,
          });
        }
        skipped += 1;
        process.stderr.write(`tauon export: skipped event ${refused} (${byPos ? 'pos' : 'seq'}): its data has no JSON form\n`);
        stepping = false;
        from = { after: refused };
        continue;
      }
      const events = to === undefined ? result.events : result.events.filter((event) => (byPos ? event.pos : event.seq) <= to);
      await writer.write(events.map(eventJson));
      exported += events.length;
      const last = events.at(-1);
      if (last !== undefined) at = byPos ? last.pos : last.seq;
      progress.update(() => `exported ${exported} events (${byPos ? 'pos' : 'seq'} ${at})`);
      if (result.next === null || events.length < result.events.length) break;
      if (to !== undefined && typeof result.next === 'object' && 'after' in result.next && result.next.after >= to) break;
      from = result.next;
    }
    progress.done(`exported ${exported} events${exported === 0 ? '' : ` (to ${byPos ? 'pos' : 'seq'} ${at})`}${skipped === 0 ? '' : `, skipped ${skipped}`}`);
  } finally {
    await client.close();
  }
}

/**
 * The position (seq for a stream, pos for a pattern) of the event a JSON read refused as
 * unrepresentable (SPEC 4.9: `details: {stream, seq, pos}`), or undefined for any other error.
 */
function unrepresentableAt(error: unknown, byPos: boolean): number | undefined {
  if (!(error instanceof TauonError) || error.code !== 'unrepresentable') return undefined;
  const position = error.details?.[byPos ? 'pos' : 'seq'];
  return typeof position === 'number' ? position : undefined;
}
