/**
 * A strict reader of the Prometheus text format (version 0.0.4), for the tests: each sample
 * line `name{label="value",...} number`, each family announced by `# HELP` and `# TYPE` before
 * its samples. Throws on a line it cannot read, so that a malformed scrape fails the test.
 */
export interface Scrape {
  /** The type of each family (`counter`, `gauge`, `histogram`...). */
  readonly types: ReadonlyMap<string, string>;
  /** The value of a sample: `value('tauon_sessions', { transport: 'ws' })`; undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The names of every sample. */
  readonly names: ReadonlySet<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.has(base) ? base : undefined;
}

function keyOf(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels).sort().map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${sorted.join(',')}}`;
}

/** Parses a scrape. @throws Error naming the first line that is not the text format. */
export function parseScrape(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  const names = new Set<string>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (name === undefined || type === undefined || !TYPES.has(type)) throw new Error(`line ${index + 1}: bad TYPE: ${line}`);
      if (types.has(name)) throw new Error(`line ${index + 1}: ${name} is announced twice`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`line ${index + 1} is not a sample: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    if (familyOf(name, types) === undefined) throw new Error(`line ${index + 1}: ${name} has no TYPE before it`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const label = LABEL.exec(labelText);
        if (label === null) throw new Error(`line ${index + 1}: bad labels: ${labelText}`);
        labels[label[1]!] = label[2]!;
      }
    }
    // Prometheus reads values as Go's ParseFloat does: NaN and Inf in any case (prom-client writes `Nan`).
    const value = /^nan$/i.test(valueText) ? NaN : /^\+?inf$/i.test(valueText) ? Infinity : /^-inf$/i.test(valueText) ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && !/^nan$/i.test(valueText)) throw new Error(`line ${index + 1}: bad value: ${valueText}`);
    const key = keyOf(name, labels);
    if (samples.has(key)) throw new Error(`line ${index + 1}: ${key} appears twice`);
    samples.set(key, value);
    names.add(name);
  }
  return { types, names, value: (name, labels = {}) => samples.get(keyOf(name, labels)) };
}
