import { TauonError } from '../../protocol/errors.js';
import type { ProjectionChange, ProjectionRecord } from '../projections/projection-store.js';

/*
 * How the reference stores keep projections' values and records (ProjectionStore): as JSON text,
 * which hands back an equal value whatever its keys (`__proto__` included; msgpackr renames it,
 * and PostgreSQL's jsonb refuses `\u0000`), and the bounds every one of them holds to, checked
 * before anything of a commit is written.
 */

/** The largest value (or record) a store keeps, in bytes of its JSON text (UTF-8): 1 MiB. */
export const MAX_PROJECTION_VALUE_BYTES = 1024 * 1024;

/** The longest key of a projection's value, in code points. */
export const MAX_PROJECTION_KEY_LENGTH = 1024;

/** One change of a commit with its value as JSON text (undefined: the key is removed). */
export interface ProjectionChangeText {
  readonly key: string;
  readonly text: string | undefined;
}

/**
 * The changes of a commit to `name` as JSON text, checked: every key at most
 * {@link MAX_PROJECTION_KEY_LENGTH} code points and named once, every value plain JSON data of
 * at most `maxBytes` bytes.
 * @throws TauonError `too-large` for a key or value beyond the bounds, `internal` for a value
 *   that is not JSON data or a key named twice
 */
export function changesAsText(name: string, changes: readonly ProjectionChange[], maxBytes = MAX_PROJECTION_VALUE_BYTES): ProjectionChangeText[] {
  const seen = new Set<string>();
  return changes.map(({ key, value }) => {
    checkKey(name, key);
    if (seen.has(key)) throw new TauonError('internal', `projection "${name}": a commit names the key ${JSON.stringify(key)} twice`);
    seen.add(key);
    return { key, text: value === undefined ? undefined : jsonText(name, `the value of key ${JSON.stringify(clip(key))}`, value, maxBytes) };
  });
}

/** The record as JSON text, at most {@link MAX_PROJECTION_VALUE_BYTES} bytes (a long error message could pass that). */
export function recordAsText(name: string, record: ProjectionRecord): string {
  return jsonText(name, 'the record', record, MAX_PROJECTION_VALUE_BYTES);
}

/** Throws `too-large` for a key of more than {@link MAX_PROJECTION_KEY_LENGTH} code points. */
export function checkKey(name: string, key: string): void {
  // Fewer UTF-16 units than the bound: fewer code points too, without counting them.
  if (key.length <= MAX_PROJECTION_KEY_LENGTH) return;
  let codePoints = 0;
  for (const _ of key) codePoints++;
  if (codePoints > MAX_PROJECTION_KEY_LENGTH) {
    throw new TauonError('too-large', `projection "${name}": a key has ${codePoints} code points, more than ${MAX_PROJECTION_KEY_LENGTH}`, {
      details: { projection: name, limit: MAX_PROJECTION_KEY_LENGTH },
    });
  }
}

function jsonText(name: string, what: string, value: unknown, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TauonError('internal', `projection "${name}": ${what} is not JSON data: ${String(error)}`, { cause: error });
  }
  if (text === undefined) throw new TauonError('internal', `projection "${name}": ${what} is not JSON data`);
  // UTF-8 takes at most 3 bytes per UTF-16 unit: count the bytes only near the bound.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new TauonError('too-large', `projection "${name}": ${what} is ${bytes} bytes as JSON, more than the store's ${maxBytes}`, {
        details: { projection: name, bytes, limit: maxBytes },
      });
    }
  }
  return text;
}

/** A key short enough for a message. */
function clip(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}...` : key;
}
