import { MAX_NAME_LENGTH } from './frames.js';
import { isWellFormedStringMap, isWellFormedText } from './data-limits.js';

/*
 * The value checks the fast frame checks share (fast-*-check.ts): each says whether a value is
 * one the schemas of frames.ts accept as it is.
 */

/** A plain object (what msgpack and JSON decode a map to), not an array or a class instance. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Every key of `value` is one of `allowed`. */
export function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/** What `name` accepts: a string of 1 to MAX_NAME_LENGTH characters. */
export function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH && isWellFormedText(value);
}

/** What `uint` accepts: a non-negative safe integer. */
export function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** What `positive` accepts: a positive safe integer. */
export function isPositive(value: unknown): value is number {
  return isUint(value) && value > 0;
}

/** The most characters of an event's `schema`. */
const MAX_SCHEMA_LENGTH = 1024;

/**
 * Whether the schemas accept `field` as the producer's optional event field `key` (`key`,
 * `causation`, `correlation`, `time`, `schema`, `meta`, `data`); undefined for any other key,
 * which the caller checks itself.
 */
function checkProducerField(key: string, field: unknown): boolean | undefined {
  switch (key) {
    case 'key':
    case 'causation':
    case 'correlation':
      return field === undefined || isName(field);
    case 'time':
      return field === undefined || isUint(field);
    case 'schema':
      return field === undefined || (typeof field === 'string' && field.length >= 1 && field.length <= MAX_SCHEMA_LENGTH && isWellFormedText(field));
    case 'meta':
      return field === undefined || isWellFormedStringMap(field);
    case 'data':
      return true;
    default:
      return undefined;
  }
}

/** What an event's own field (any but the producer's) is: one of the required ones, an optional one, or not acceptable. */
export type OwnField = 'required' | 'optional' | false;

/**
 * A non-empty list of plain events: each a plain object whose fields are the producer's optional
 * ones (`key`, `causation`, `correlation`, `time`, `schema`, `meta`, `data`) or fields that
 * `ownField` accepts, with all `requiredCount` of those it calls required.
 */
export function isPlainEventList(
  value: unknown,
  ownField: (key: string, field: unknown) => OwnField,
  requiredCount: number,
): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const event of value) {
    if (!isRecord(event)) return false;
    // Counted rather than looked up afterwards: an object has each key once, so the count
    // reaches requiredCount only when every required field is there (and acceptable).
    let required = 0;
    for (const key in event) {
      const field = event[key];
      const producerField = checkProducerField(key, field);
      if (producerField !== undefined) {
        if (!producerField) return false;
        continue;
      }
      const own = ownField(key, field);
      if (own === false) return false;
      if (own === 'required') required += 1;
    }
    if (required !== requiredCount) return false;
  }
  return true;
}
