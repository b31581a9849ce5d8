import type { StoredEvent } from '../protocol/frames.js';
import { textTable } from './text-table.js';

/** The widest DATA cell of a table: longer data is cut, with an ellipsis (--json shows it whole). */
const DATA_CELL_MAX = 60;

/**
 * Whether a command prints JSON lines: with `--json`, or when stdout is not a terminal (a pipe,
 * a file), so that scripts always get JSON and people at a terminal get aligned text.
 */
export function printsJson(values: Record<string, string | boolean | undefined>, stdoutIsTerminal = process.stdout.isTTY === true): boolean {
  return values['json'] === true || !stdoutIsTerminal;
}

/**
 * A stored event as one JSON line, its fields in a fixed order (place, then the event as sent,
 * then when it was recorded); absent fields are left out (SPEC 4.5). `tauon import` reads it back.
 */
export function eventJson(event: StoredEvent): string {
  const { stream, seq, pos, tx, id, type, key, data, meta, time, causation, correlation, schema, recorded } = event;
  return JSON.stringify({ stream, seq, pos, tx, id, type, key, data, meta, time, causation, correlation, schema, recorded });
}

/**
 * Events as the lines of a table for a terminal, one line per event, aligned: where it is (pos,
 * stream, seq, tx), when it was recorded (UTC), its type, key and data (compact JSON, cut).
 */
export function eventTable(events: readonly StoredEvent[]): string[] {
  return textTable(
    ['POS', 'STREAM', 'SEQ', 'TX', 'RECORDED', 'TYPE', 'KEY', 'DATA'],
    events.map((event) => [
      String(event.pos),
      event.stream,
      String(event.seq),
      String(event.tx),
      new Date(event.recorded).toISOString(),
      event.type,
      event.key ?? '-',
      dataCell(event.data),
    ]),
  );
}

/** Event data as one short cell: compact JSON on one line, cut at DATA_CELL_MAX characters. */
export function dataCell(data: unknown): string {
  if (data === undefined) return '-';
  const text = JSON.stringify(data);
  return text.length <= DATA_CELL_MAX ? text : `${text.slice(0, DATA_CELL_MAX - 1)}…`;
}
