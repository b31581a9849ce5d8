import { isWellFormedText, MAX_DATA_DEPTH } from '../../protocol/data-limits.js';

/*
 * What a projection's state may be: plain data that msgpack and JSON carry alike, and that every
 * store keeps and hands back equal (ProjectionValue): null, booleans, finite numbers, strings,
 * arrays and plain objects, no `undefined` inside, at most MAX_DATA_DEPTH levels deep, and every
 * string and object key well-formed Unicode (a lone surrogate has no UTF-8 form).
 */

/** What is wrong with `value` as a projection's state, with the path to it; undefined when it is plain data. */
export function plainValueProblem(value: unknown): string | undefined {
  return problemAt(value, '', 0);
}

function problemAt(value: unknown, path: string, depth: number): string | undefined {
  const at = path === '' ? '' : ` at ${path}`;
  switch (typeof value) {
    case 'string':
      return isWellFormedText(value) ? undefined : `a string${at} is not well-formed Unicode (a lone surrogate)`;
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)}${at} is not a finite number`;
    case 'object':
      break;
    default:
      return `${typeof value}${at} is not plain data (null, boolean, number, string, array, plain object)`;
  }
  if (value === null) return undefined;
  if (depth >= MAX_DATA_DEPTH) return `the state is nested deeper than ${MAX_DATA_DEPTH} levels${at}`;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const problem = problemAt(value[index], `${path}[${index}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `a ${typeof kind === 'string' ? kind : 'class instance'}${at} is not plain data (use arrays and plain objects)`;
  }
  for (const key of Object.keys(value)) {
    if (!isWellFormedText(key)) return `a key${at} is not well-formed Unicode (a lone surrogate)`;
    const problem = problemAt((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The size of a plain value as JSON text, in bytes (UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Freezes `value` and what it holds, leaving alone what is frozen already: a state that evolve
 * built from the previous one by copying costs only its new parts. Evolve gets frozen states, so
 * that a state it changes in place fails at once, not some commits later.
 */
export function freezeState<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeState(child);
  }
  return value;
}
