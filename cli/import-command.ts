import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TauonError } from '../protocol/errors.js';
import { StoredEvent } from '../protocol/frames.js';
import { parseCommand, UsageError } from './arguments.js';
import { tokenOf, transportFor } from './client-commands.js';
import { EventImporter, type ImportCounts } from './event-importer.js';
import { printsJson } from './event-output.js';
import { Progress } from './progress.js';
import { CONNECTION_FLAGS, CONNECTION_HELP } from './read-commands.js';
import { RequestSession } from './request-session.js';

export const IMPORT_USAGE = 'tauon import [--url URL] [--token T] FILE|- [--json]';

export const IMPORT_HELP = `usage: ${IMPORT_USAGE}

Appends the events of a file written by tauon export (NDJSON: one stored event per line; - reads
stdin) to a server, as they were: the same ids, types, keys, data, meta, times, causation,
correlation and schema, each stream's events in the same order, each transaction of the file as
one append. Into streams that were empty they get the same seqs and txs.

It is idempotent and resumable: an event whose id the stream already holds is not written again
(SPEC 5.8), so running it twice, or again after an interruption, stores nothing twice. An event
id already stored in another stream stops it (duplicate-id), and so does a line that is not an
exported event (bad-frame, with its line number): what was read before is written, except the
transaction that line cut, never written in part.

Not kept: the store-wide positions (pos) and the recording times (recorded), which are the new
store's own. System events: $invalidated is made again by invalidating the same transaction
(once: found at its place, it is not written twice), and its id is the new store's; other $
types are skipped with a warning. It reads line by line, so memory stays small however large
the file. Progress goes to stderr when stderr is a terminal.

  --json         the counts as JSON even on a terminal (the default when stdout is not one)
${CONNECTION_HELP}

It prints what it did: events imported, already there, invalidations made again or already
there, system events skipped.

Example:
  tauon export '$all' --url ws://127.0.0.1:7600 > backup.ndjson     # from a server on lmdb
  tauon import backup.ndjson --url ws://127.0.0.1:7700               # into one on PostgreSQL
  # imported 1200 events (0 already there); 3 invalidations made again (0 already there); 0 skipped`;

/** `tauon import`: appends an export's events to a server, idempotently. */
export async function importEvents(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError('import takes one FILE (- for stdin)');
  if (file !== '-') {
    // A file that cannot be read is said before connecting, as a mistake of the command line.
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const input = file === '-' ? process.stdin : createReadStream(file);
  const session = await RequestSession.open(await transportFor(values), tokenOf(values));
  const importer = new EventImporter(session, (message) => process.stderr.write(`tauon import: ${message}\n`));
  const progress = new Progress();
  let line = 0;
  try {
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      await importer.add(eventOf(text, line), line);
      progress.update(() => `line ${line}: ${countsText(importer.counts)}`);
    }
    await importer.finish();
    progress.done(`line ${line}: ${countsText(importer.counts)}`);
  } catch (error) {
    await importer.settle();
    process.stderr.write(`tauon import: stopped at line ${line} after ${countsText(importer.counts)}; run it again to resume\n`);
    throw error;
  } finally {
    await session.close();
  }
  out(printsJson(values) ? JSON.stringify(importer.counts) : countsText(importer.counts));
}

/** One line of the file as a stored event; a line that is not one stops the import. */
function eventOf(text: string, line: number): StoredEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TauonError('bad-frame', `line ${line} is not JSON: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`, { details: { line } });
  }
  const parsed = StoredEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TauonError('bad-frame', `line ${line} is not a stored event as tauon export writes it: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
      details: { line },
    });
  }
  return parsed.data;
}

/** The counts for people. */
function countsText(counts: ImportCounts): string {
  return (
    `imported ${counts.imported} event${counts.imported === 1 ? '' : 's'} (${counts.alreadyThere} already there); ` +
    `${counts.invalidated} invalidation${counts.invalidated === 1 ? '' : 's'} made again (${counts.invalidatedAlreadyThere} already there); ` +
    `${counts.skipped} skipped`
  );
}
