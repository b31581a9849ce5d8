// Type-checks the TypeScript samples of the documentation: the ```ts blocks of the guides and
// the `@example` blocks of the client's doc comments, each as a module of its own, against the
// sources (the tsconfig's paths map `tauon/...` to them). A sample that no longer compiles is a
// sample that no longer tells the truth.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** One sample: where it came from, and the module it becomes. */
export interface CodeSample {
  readonly origin: string;
  readonly fileName: string;
  readonly text: string;
}

/** Names a fragment may use without declaring them, and what declares them. */
export type SampleContext = Readonly<Record<string, string>>;

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
/** The samples are placed here, so that `./events.js` finds a sample named `// events.ts`. */
const SAMPLE_DIR = join(ROOT, '.code-samples');

/** Imports first (a module's imports may not follow code), then what the fragment leaves undeclared, then the code. */
function asModule(code: string, context: SampleContext): string {
  const lines = code.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const body = lines.filter((line) => !line.startsWith('import '));
  const declared = (name: string) =>
    new RegExp(`\\b(const|let|function|class) ${name}\\b|import \\{[^}]*\\b${name}\\b[^}]*\\}|import (\\* as )?${name}\\b`).test(code);
  const uses = (text: string, name: string) => new RegExp(`(^|[^.'\\w-])${name}\\b(?!['-])`, 'm').test(text);
  // A given name may rest on another (the typed client on the client): take those too.
  let needed = Object.keys(context).filter((name) => uses(body.join('\n'), name) && !declared(name));
  for (let more = true; more; ) {
    const given = needed.map((name) => context[name]).join('\n');
    const next = Object.keys(context).filter((name) => (needed.includes(name) || uses(given, name)) && !declared(name));
    more = next.length > needed.length;
    needed = next;
  }
  return [...imports, ...needed.map((name) => context[name]), ...body, 'export {};'].join('\n');
}

/** The ```ts blocks of a Markdown file; a block whose first line is `// name.ts` becomes that module. */
export function markdownSamples(path: string, context: SampleContext): CodeSample[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const samples: CodeSample[] = [];
  for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = match[1] ?? '';
    const line = text.slice(0, match.index).split('\n').length;
    const named = /^\/\/ ([\w-]+\.ts)\b/.exec(code)?.[1];
    const fileName = join(SAMPLE_DIR, named ?? `${path.replaceAll(/[/.]/g, '-')}-${line}.ts`);
    samples.push({ origin: `${path}:${line}`, fileName, text: asModule(code, context) });
  }
  return samples;
}

/** The ```ts blocks of the `@example` tags of a source file's doc comments. */
export function exampleSamples(path: string, context: SampleContext): CodeSample[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const samples: CodeSample[] = [];
  for (const match of text.matchAll(/@example\s*\n\s*\* ```ts\n((?:\s*\*.*\n)*?)\s*\* ```/g)) {
    const code = (match[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    const line = text.slice(0, match.index).split('\n').length;
    // Each example in a block of its own, so that its names may repeat the context's.
    const lines = code.split('\n');
    const imports = lines.filter((each) => each.startsWith('import ')).join('\n');
    const body = lines.filter((each) => !each.startsWith('import ')).join('\n');
    const fileName = join(SAMPLE_DIR, `${path.replaceAll(/[/.]/g, '-')}-${line}.ts`);
    // An example that imports a module itself (zod, say) keeps its own import of it.
    const given = Object.values(context)
      .join('\n')
      .split('\n')
      .filter((each) => !/from '([^']+)'/.test(each) || !imports.includes(`from '${/from '([^']+)'/.exec(each)?.[1]}'`))
      .join('\n');
    samples.push({
      origin: `${path}:${line}`,
      fileName,
      text: `${imports}\n${given}\nexport async function example(): Promise<void> {\n{\n${body}\n}\n}\n`,
    });
  }
  return samples;
}

/** Type-checks the samples together with the sources; the problems, each with the sample it came from. */
export function typeCheck(samples: readonly CodeSample[]): string[] {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (config === undefined) throw new Error('tsconfig.json does not parse');
  const byName = new Map(samples.map((sample) => [sample.fileName, sample]));
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => byName.get(name)?.text ?? readFile(name);
  host.fileExists = (name) => byName.has(name) || fileExists(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => name === SAMPLE_DIR || (directoryExists?.(name) ?? true);
  const program = ts.createProgram({ rootNames: [...byName.keys()], options: config.options, host });
  return samples.flatMap((sample) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(sample.fileName)).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const at = diagnostic.file !== undefined && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
      return `${sample.origin} (sample line ${at}): ${message}\n${sample.text}`;
    }),
  );
}
