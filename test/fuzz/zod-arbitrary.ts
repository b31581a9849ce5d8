// fast-check arbitraries read off the zod schemas of protocol/frames.ts, so that the frames the
// fuzzer starts from follow the schemas as they are, not a copy of them that could drift.
import fc from 'fast-check';
import type * as z from 'zod/mini';

/** Strings worth trying wherever the schema lets them through: selectors, reserved names, edges. */
const INTERESTING_STRINGS = [
  '$all', '*', 'orders.*', 'orders.1', 'a', 'any', 'none', 'exists', 'start', 'end', 'forward', 'backward',
  'cold', 'hot', 'hot-cold', 'constructor', 'toString', 'hasOwnProperty', ' ', '\u0000', 'é', '\u{1F600}',
];

/** What the JSON-compatible values of event data are made of. */
export interface DataShape {
  /** How deep arrays and maps nest at most. */
  readonly maxDepth: number;
}

/** One code point of any kind (controls, unassigned and private ones included), but never half of a surrogate pair. */
const codePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
/** A UTF-16 unit from U+D800 to U+DFFF on its own: a lone surrogate, unless its neighbour pairs it. */
const surrogateHalf = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** Strings as the fuzzer makes them: any code points, and lone surrogates (which a server refuses, SPEC 4.8). */
export function text(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: fc.oneof({ weight: 9, arbitrary: codePoint }, surrogateHalf), ...constraints });
}

/** Well-formed strings (any code points, no lone surrogate): what valid event data holds. */
export function wellFormedText(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: codePoint, ...constraints });
}

/** A key of event data: any well-formed string, `__proto__` and `constructor` included. */
function dataKey(): fc.Arbitrary<string> {
  return fc.oneof(wellFormedText({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', ''));
}

/**
 * A JSON-compatible value (what both codecs carry unchanged): null, booleans, finite numbers
 * (not -0, which JSON writes as 0), strings, arrays and maps, nested at most `maxDepth` levels.
 */
export function jsonData(shape: DataShape = { maxDepth: 4 }): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1e300, -1e-300),
    wellFormedText({ maxLength: 20 }),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: shape.maxDepth },
      leaf,
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(dataKey(), tie('value'), { maxKeys: 5, noNullPrototype: true }),
    ),
  }));
  return value;
}

/** The checks zod keeps on a string, number or array schema (min_length, less_than, number_format...). */
interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
}

/** The parts of a zod schema's definition that the arbitraries read (zod 4's `_zod.def`). */
interface SchemaDef {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly shape?: Record<string, z.ZodMiniType>;
  readonly values?: readonly unknown[];
  readonly options?: readonly z.ZodMiniType[];
  readonly entries?: Record<string, string>;
  readonly element?: z.ZodMiniType;
  readonly innerType?: z.ZodMiniType;
  readonly keyType?: z.ZodMiniType;
  readonly valueType?: z.ZodMiniType;
}

function defOf(schema: z.ZodMiniType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

function checksOf(def: SchemaDef): CheckDef[] {
  return (def.checks ?? []).map((check) => check._zod.def);
}

/** The lengths a string or array schema allows. */
function lengthsOf(def: SchemaDef): { min: number; max: number | undefined } {
  let min = 0;
  let max: number | undefined;
  for (const check of checksOf(def)) {
    if (check.check === 'min_length') min = check.minimum ?? 0;
    if (check.check === 'max_length') max = check.maximum;
  }
  return { min, max };
}

function stringOf(schema: z.ZodMiniType, def: SchemaDef): fc.Arbitrary<string> {
  const { min, max = 1024 } = lengthsOf(def);
  const candidates = fc.oneof(
    // Well-formed: a lone surrogate has no UTF-8 form in any string (mutations.ts puts them in).
    { weight: 6, arbitrary: wellFormedText({ minLength: min, maxLength: Math.min(max, 16) }) },
    { weight: 1, arbitrary: wellFormedText({ minLength: Math.max(min, max - 2), maxLength: max }) },
    { weight: 3, arbitrary: fc.constantFrom(...INTERESTING_STRINGS) },
  );
  // The schema itself has the last word (its regular expressions included).
  return candidates.filter((candidate) => schema.safeParse(candidate).success);
}

function numberOf(def: SchemaDef): fc.Arbitrary<number> {
  let min = -Number.MAX_SAFE_INTEGER;
  let max = Number.MAX_SAFE_INTEGER;
  let integer = false;
  for (const check of checksOf(def)) {
    if (check.check === 'number_format' && check.format === 'safeint') integer = true;
    if (check.check === 'greater_than') min = Math.max(min, (check.value ?? min) + (check.inclusive === true ? 0 : 1));
    if (check.check === 'less_than') max = Math.min(max, (check.value ?? max) - (check.inclusive === true ? 0 : 1));
  }
  if (!integer) return fc.double({ min, max, noNaN: true });
  return fc.oneof({ weight: 8, arbitrary: fc.integer({ min, max: Math.min(max, min + 1000) }) }, { weight: 2, arbitrary: fc.integer({ min, max }) }, fc.constantFrom(min, max));
}

/**
 * Values the schema accepts, built from its definition: objects with their optional fields
 * sometimes left out, every union's branches, strings and numbers within the schema's checks,
 * and event data from {@link jsonData}.
 */
export function arbitraryOf(schema: z.ZodMiniType, data: DataShape = { maxDepth: 4 }): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      const required = Object.keys(shape).filter((key) => defOf(shape[key]!).type !== 'optional');
      const fields = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, arbitraryOf(field, data)]));
      return fc.record(fields, { requiredKeys: required, noNullPrototype: true });
    }
    case 'optional':
      return arbitraryOf(def.innerType!, data);
    case 'nullable':
      return fc.option(arbitraryOf(def.innerType!, data), { nil: null });
    case 'union':
      return fc.oneof(...def.options!.map((option) => arbitraryOf(option, data)));
    case 'literal':
      return fc.constantFrom(...def.values!);
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries!));
    case 'array': {
      const { min, max } = lengthsOf(def);
      return fc.array(arbitraryOf(def.element!, data), { minLength: min, maxLength: Math.min(max ?? 4, min + 4) });
    }
    case 'record':
      return fc.dictionary(arbitraryOf(def.keyType!, data) as fc.Arbitrary<string>, arbitraryOf(def.valueType!, data), {
        maxKeys: 4,
        noNullPrototype: true,
      });
    case 'string':
      return stringOf(schema, def);
    case 'number':
      return numberOf(def);
    case 'boolean':
      return fc.boolean();
    case 'unknown':
      return jsonData(data);
    case 'custom':
      // The one custom schema is `meta`'s map of strings (frames.ts), kept as it is so that a
      // `__proto__` key survives: maps of strings, the schema having the last word. Another
      // custom schema, one that takes no map, would make the filter below draw for ever (a
      // synchronous loop no test timeout stops): refused here instead.
      if (!schema.safeParse({}).success) throw new Error('no arbitrary for a custom schema that is not a map of strings');
      return fc
        .dictionary(fc.oneof(wellFormedText({ maxLength: 12 }), fc.constant('__proto__')), wellFormedText({ maxLength: 20 }), { maxKeys: 4, noNullPrototype: true })
        .filter((candidate) => schema.safeParse(candidate).success);
    default:
      throw new Error(`no arbitrary for zod type "${def.type}"`);
  }
}
