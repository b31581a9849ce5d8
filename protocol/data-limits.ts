/*
 * What event data may be, beyond "any value the codec carries" (SPEC 4.9): nested at most
 * MAX_DATA_DEPTH levels, and every string and map key well-formed Unicode. Deeper data would
 * overflow the recursive encoders of the stores and of other languages' msgpack and JSON
 * libraries, and a lone surrogate has no UTF-8 form: stored, it would come back altered.
 * Runtime-neutral.
 */

/**
 * The deepest event `data` may nest: maps and arrays inside `data`, counting `data` itself when it
 * is one (`{}` is 1 level, `[[1]]` is 2, a string 0). With the three levels of the frame around it
 * (frame, `events`, event) a delivered event stays within the 128 levels that common decoders
 * accept by default (Rust's serde_json), and far from the ~1,450 at which the stores' recursive
 * msgpack encoders overflow the stack.
 */
export const MAX_DATA_DEPTH = 100;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (ES2024; Node 20, current browsers), where the runtime has it. */
interface WellFormedString {
  isWellFormed?(): boolean;
}

/**
 * True when `text` is well-formed Unicode: no lone surrogate (UTF-16 half of a pair without its
 * other half), so that it has a UTF-8 form and survives every codec and store unchanged.
 */
export const isWellFormedText: (text: string) => boolean =
  typeof ('' as WellFormedString).isWellFormed === 'function'
    ? (text) => (text as WellFormedString).isWellFormed!()
    : (text) => !LONE_SURROGATE.test(text);

/**
 * The message for a number that is not finite: JSON has no form for it (a JSON number past the
 * double range parses as Infinity and would be delivered as null), so it is refused in both codecs.
 */
const NOT_FINITE = 'is not a finite number (JSON has no Infinity or NaN)';

/** The message for a string that is not well-formed Unicode. */
export const NOT_WELL_FORMED = 'holds a lone surrogate (not well-formed Unicode, it has no UTF-8 form)';

/**
 * What is wrong with event data, or undefined when it is fine: nested deeper than
 * {@link MAX_DATA_DEPTH}, a string or map key that is not well-formed Unicode, or a number that is
 * not finite. The walk
 * recurses at most MAX_DATA_DEPTH + 1 levels, whatever the depth of the value, and stops at the
 * first problem.
 */
export function dataProblem(data: unknown): string | undefined {
  if (typeof data === 'string') return isWellFormedText(data) ? undefined : `data ${NOT_WELL_FORMED}`;
  if (typeof data === 'number') return Number.isFinite(data) ? undefined : `data ${NOT_FINITE}`;
  if (typeof data !== 'object' || data === null) return undefined;
  return containerProblem(data, 1);
}

function containerProblem(container: object, depth: number): string | undefined {
  if (depth > MAX_DATA_DEPTH) return `data is nested deeper than ${MAX_DATA_DEPTH} levels`;
  // Binary (msgpack bin) and extension values (a msgpack timestamp's Date) hold no data fields.
  if (ArrayBuffer.isView(container) || container instanceof Date) return undefined;
  if (Array.isArray(container)) {
    for (let index = 0; index < container.length; index++) {
      const problem = itemProblem(container[index], depth);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const record = container as Record<string, unknown>;
  for (const key in record) {
    if (!isWellFormedText(key)) return `a key in data ${NOT_WELL_FORMED}`;
    const problem = itemProblem(record[key], depth);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function itemProblem(item: unknown, depth: number): string | undefined {
  if (typeof item === 'string') return isWellFormedText(item) ? undefined : `a string in data ${NOT_WELL_FORMED}`;
  if (typeof item === 'number') return Number.isFinite(item) ? undefined : `a number in data ${NOT_FINITE}`;
  if (typeof item === 'object' && item !== null) return containerProblem(item, depth + 1);
  return undefined;
}

/**
 * True when `value` is a plain object (not an array) whose keys and values are well-formed
 * strings: what an event's `meta` is.
 */
export function isWellFormedStringMap(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item !== 'string' || !isWellFormedText(key) || !isWellFormedText(item)) return false;
  }
  return true;
}
