import type { StartPosition } from '../protocol/frames.js';
import { UsageError } from './arguments.js';

/** The forms `--from` takes, for the usage lines and the errors. */
export const FROM_FORMS = 'start|end|N|after:N|before:N|event:ID|time:ISO-or-ms';

/**
 * A `--from` value as a start position (SPEC 5.7): `start`, `end`, `N` (at N, inclusive),
 * `at:N`, `after:N`, `before:N`, `event:ID`, or `time:T` (milliseconds since the epoch, or an
 * ISO 8601 date such as 2026-01-31T12:00:00Z). N is a seq for one stream, a pos for a pattern.
 */
export function parseStartPosition(text: string, flag = '--from'): StartPosition {
  if (text === 'start' || text === 'end') return text;
  if (/^\d+$/.test(text)) return { at: positiveOf(text, flag) };
  const colon = text.indexOf(':');
  const form = colon < 0 ? '' : text.slice(0, colon);
  const value = text.slice(colon + 1);
  switch (form) {
    case 'at':
      return { at: positiveOf(value, flag) };
    case 'before':
      return { before: positiveOf(value, flag) };
    case 'after':
      if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { after: Number(value) };
      break;
    case 'event':
      if (value.length > 0) return { event: value };
      break;
    case 'time':
      return { time: timeOf(value, flag) };
  }
  throw new UsageError(`${flag} is ${FROM_FORMS}, not "${text}"`);
}

/** A start position as `--from` takes it back: what to pass to continue where a page ended. */
export function formatStartPosition(position: StartPosition): string {
  if (typeof position === 'string') return position;
  if ('after' in position) return `after:${position.after}`;
  if ('before' in position) return `before:${position.before}`;
  if ('at' in position) return `at:${position.at}`;
  if ('event' in position) return `event:${position.event}`;
  return `time:${position.time}`;
}

/** A seq or pos of 1 or more (0 is "before the first": `after:0` says it). */
function positiveOf(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${flag}: "${text}" is not a position (a whole number, 1 or more)`);
  }
  return value;
}

/** Milliseconds since the epoch, or an ISO 8601 date. */
function timeOf(text: string, flag: string): number {
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(parsed) || parsed < 0) throw new UsageError(`${flag}: "time:${text}" is not milliseconds since the epoch nor an ISO 8601 date`);
  return parsed;
}
