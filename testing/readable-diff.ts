/**
 * What was expected and what came, as two indented listings with the lines that differ marked:
 * `-` for the expected side, `+` for the actual one. Keys are sorted, so that two objects that
 * differ only in key order (which counts as equal) never show a difference.
 */
export function readableDiff(expected: unknown, actual: unknown): string {
  const want = show(expected).split('\n');
  const got = show(actual).split('\n');
  const common = longestCommonLines(want, got);
  const lines: string[] = [];
  let w = 0;
  let g = 0;
  for (const [wantIndex, gotIndex] of common) {
    while (w < wantIndex) lines.push(`- ${want[w++]!}`);
    while (g < gotIndex) lines.push(`+ ${got[g++]!}`);
    lines.push(`  ${want[w++]!}`);
    g += 1;
  }
  while (w < want.length) lines.push(`- ${want[w++]!}`);
  while (g < got.length) lines.push(`+ ${got[g++]!}`);
  return ['- expected', '+ actual', '', ...lines].join('\n');
}

/** A value as indented text, keys sorted, with what JSON cannot show (undefined, Maps, Sets, bigints, Dates) named. */
export function show(value: unknown): string {
  return JSON.stringify(comparable(value, new Set()), null, 2) ?? 'undefined';
}

function comparable(value: unknown, seen: Set<object>): unknown {
  if (value === undefined) return '<undefined>';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `<function ${value.name || 'anonymous'}>`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '<circular>';
  seen.add(value);
  try {
    if (value instanceof Date) return `<Date ${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()}>`;
    if (value instanceof Error) return `<${value.name}: ${value.message}>`;
    if (value instanceof Map) return { '<Map>': [...value].map(([key, item]) => [comparable(key, seen), comparable(item, seen)]) };
    if (value instanceof Set) return { '<Set>': [...value].map((item) => comparable(item, seen)) };
    if (Array.isArray(value)) return value.map((item) => comparable(item, seen));
    const record = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) sorted[key] = comparable(record[key], seen);
    }
    return sorted;
  } finally {
    seen.delete(value);
  }
}

/** The pairs of line indexes of a longest common subsequence of two listings (small ones: test output). */
function longestCommonLines(a: readonly string[], b: readonly string[]): [number, number][] {
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i += 1;
      j += 1;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) {
      i += 1;
    } else {
      j += 1;
    }
  }
  return pairs;
}
