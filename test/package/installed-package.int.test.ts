// The package as users get it: `npm pack`, installed offline into a fresh project outside the
// repository, and used there as a user would (Node ESM imports, a type-check with skipLibCheck
// off, the command line through npx, the store contract under the project's own vitest), with
// none of the optional drivers installed.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConsumerProject } from '../support/consumer-project.js';
import { startInGroup } from '../support/process-group.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./consumer/', import.meta.url));
/** The tools the project installs beside tauon, at the versions the repository locks. */
const TOOLS = ['typescript', 'vitest', '@types/node'];
const STEP_TIMEOUT_MS = 180_000;

/**
 * The environment of the processes run in the project: without what `npm test` and vitest put
 * in it (npm's idea of the current project, the repository's node_modules/.bin on PATH, vitest's
 * worker variables), so that npm, npx and vitest see the project and nothing of the repository.
 */
function projectEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|INIT_CWD$)/i.test(key) && !/^npm_config_(cache|userconfig|registry)$/i.test(key)) continue;
    env[key] = value;
  }
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(delimiter);
  return env;
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (bounded in time) in `cwd`, never rejecting: the test reads the outcome. */
function runIn(cwd: string, command: string, args: readonly string[], timeoutMs = STEP_TIMEOUT_MS): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: projectEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr: error !== null && code === null ? `${stderr}\n${error.message}` : stderr });
    });
  });
}

// Each step runs real npm, tsc and vitest processes: minutes, not seconds, on a busy machine.
describe('the installed package', { timeout: STEP_TIMEOUT_MS }, () => {
  let packDir: Awaited<ReturnType<typeof tempDir>>;
  let projectDir: Awaited<ReturnType<typeof tempDir>>;
  let project: string;
  let version: string;
  /** The tarball's files, as `npm pack` listed them. */
  let packedFiles: string[];

  beforeAll(async () => {
    version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    packDir = await tempDir('pack');
    projectDir = await tempDir('consumer');
    project = join(projectDir.path, 'app');
    await mkdir(project);
    // The global setup built dist/ from the current sources; `prepare` would only build again.
    const packed = await runIn(ROOT, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir.path]);
    expect(packed.code, packed.stderr).toBe(0);
    const [described] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    packedFiles = described!.files.map((file) => file.path);
    const tarball = described!.filename;
    expect(await readdir(packDir.path)).toEqual([tarball]);
    await writeConsumerProject({ repoDir: ROOT, tarball: join(packDir.path, tarball), projectDir: project, tools: TOOLS });
    // Offline: every tarball comes from npm's cache, which `npm ci` of the repository filled.
    const installed = await runIn(project, 'npm', ['ci', '--offline', '--no-audit', '--no-fund']);
    expect(installed.code, `npm ci --offline failed:\n${installed.stderr}`).toBe(0);
    expect(installed.stderr).not.toContain('EBADENGINE');
    for (const fixture of ['uses-every-export.ts', 'memory-store.contract.ts']) {
      await copyFile(join(FIXTURES, fixture), join(project, fixture.replace('.contract.ts', '.test.ts')));
    }
  }, 2 * STEP_TIMEOUT_MS);

  afterAll(async () => {
    await packDir?.remove();
    await projectDir?.remove();
  });

  it('holds what users need and none of the tests, benchmarks or CI', async () => {
    const files = packedFiles;
    for (const needed of [
      'package.json',
      'README.md',
      'bin/tauon.js',
      'protocol/SPEC.md',
      'protocol/vectors/valid.json',
      'docs/configuration.md',
      'dist/client/index.js',
      'dist/testing/index.js',
      'dist/server-reference/index.d.ts',
      'dist/cli/tauon.js',
      'dist/test/conformance/index.js',
    ]) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter((file) => /^(test|bench|\.ci|examples|docs\/api)\/|^dist\/test\/(?!conformance\/)|\.test\.|\.map$|tsbuildinfo/.test(file));
    expect(unwanted).toEqual([]);
    // Installed: the optional drivers are not.
    const modules = await readdir(join(project, 'node_modules'));
    expect(modules).toContain('tauon');
    expect(modules.filter((name) => ['pg', 'amqplib', '@nats-io'].includes(name))).toEqual([]);
  });

  it('imports every subpath export from Node ESM', async () => {
    const script = `
      import { readFile } from 'node:fs/promises';
      const { exports } = JSON.parse(await readFile('node_modules/tauon/package.json', 'utf8'));
      const loaded = {};
      for (const subpath of Object.keys(exports).filter((subpath) => subpath !== './package.json')) {
        loaded['tauon' + subpath.slice(1)] = Object.keys(await import('tauon' + subpath.slice(1))).length;
      }
      console.log(JSON.stringify(loaded));`;
    await writeFile(join(project, 'import-every-export.mjs'), script);
    const ran = await runIn(project, process.execPath, ['import-every-export.mjs']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const loaded = JSON.parse(ran.stdout) as Record<string, number>;
    expect(Object.keys(loaded).sort()).toEqual(
      [
        'tauon/client',
        'tauon/conformance',
        'tauon/conformance/runner',
        'tauon/conformance/store',
        'tauon/conformance/wire',
        'tauon/protocol',
        'tauon/server',
        'tauon/testing',
        'tauon/transports',
        'tauon/transports/amqp',
        'tauon/transports/memory',
        'tauon/transports/ws',
      ],
    );
    for (const [subpath, names] of Object.entries(loaded)) expect(names, subpath).toBeGreaterThan(0);
  });

  it('type-checks a consumer of every export, strict, NodeNext, skipLibCheck off, without any driver or @types/pg', async () => {
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      include: ['uses-every-export.ts', 'memory-store.test.ts'],
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const checked = await runIn(project, process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });

  it('runs the store contract against the memory store with the project’s own vitest', async () => {
    const ran = await runIn(project, 'npx', ['--no', '--', 'vitest', 'run', '--reporter=json', '--outputFile=vitest.json']);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(project, 'vitest.json'), 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { name: string }[];
    };
    expect(report.testResults.map((file) => file.name)).toEqual([join(project, 'memory-store.test.ts')]);
    expect(report.numFailedTests).toBe(0);
    // The contract has dozens of tests; the round trip is one more.
    expect(report.numPassedTests).toBeGreaterThan(30);
  });

  it('runs npx tauon --version, serve, emit, tail and conformance', async () => {
    const printed = await runIn(project, 'npx', ['--no', '--', 'tauon', '--version']);
    expect(printed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });

    const serve = startInGroup('npx', ['--no', '--', 'tauon', 'serve', '--data', join(projectDir.path, 'data'), '--port', '0'], {
      cwd: project,
      env: projectEnv(),
    });
    try {
      const url = (await serve.waitFor(/serving (ws:\/\/\S+?)\/? and/, 30_000))[1]!;
      const emitted = await runIn(project, 'npx', ['--no', '--', 'tauon', 'emit', '--url', url, 'installed', 'Checked', '{"n":1}']);
      expect(emitted.code, emitted.stderr).toBe(0);
      expect(JSON.parse(emitted.stdout)).toMatchObject({ stream: 'installed', seq: 1, duplicate: false });
      const tailed = await runIn(project, 'npx', ['--no', '--', 'tauon', 'tail', '--url', url, 'installed', '--mode', 'cold']);
      expect(tailed.code, tailed.stderr).toBe(0);
      expect(JSON.parse(tailed.stdout)).toMatchObject({ stream: 'installed', seq: 1, type: 'Checked', data: { n: 1 } });
      // The wire kit from the package, without a test framework: one section of it.
      const kit = await runIn(project, 'npx', ['--no', '--', 'tauon', 'conformance', url, '--only', '12']);
      expect(kit.code, kit.stdout + kit.stderr).toBe(0);
      expect(kit.stdout).toMatch(/^passed {2}§12 /m);
      expect(kit.stdout).toMatch(/^[1-9]\d* passed, 0 failed, 0 skipped in /m);
    } finally {
      await serve.stop();
    }
    expect(serve.output()).toContain('tauon: stopping');
  });

  it('says which package to install when a store or transport is used without its driver', async () => {
    const script = `
      import { PostgresStore } from 'tauon/server';
      import { amqpTransport } from 'tauon/transports/amqp';
      for (const use of [() => PostgresStore.open('postgres://127.0.0.1/test'), () => amqpTransport('amqp://127.0.0.1')]) {
        try {
          await use();
          console.log('opened');
        } catch (error) {
          console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
        }
      }`;
    await writeFile(join(project, 'missing-drivers.mjs'), script);
    const ran = await runIn(project, process.execPath, ['missing-drivers.mjs']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { name: 'MissingDriverError', code: 'missing-driver', message: 'the PostgreSQL store needs the package pg: npm install pg' },
      { name: 'MissingDriverError', code: 'missing-driver', message: 'the AMQP transport needs the package amqplib: npm install amqplib' },
    ]);

    const served = await runIn(project, 'npx', ['--no', '--', 'tauon', 'serve', '--store', 'nats://127.0.0.1:4222'], 60_000);
    expect(served.code).toBe(1);
    expect(served.stderr).toContain(
      'tauon serve: missing-driver: the JetStream store needs the packages @nats-io/transport-node, @nats-io/jetstream, @nats-io/kv',
    );
    expect(served.stderr).toContain('npm install @nats-io/transport-node @nats-io/jetstream @nats-io/kv');
    const emitted = await runIn(project, 'npx', ['--no', '--', 'tauon', 'emit', '--url', 'amqp://127.0.0.1', 'installed', 'Checked'], 60_000);
    expect({ code: emitted.code, stderr: emitted.stderr }).toEqual({
      code: 1,
      stderr: 'tauon emit: missing-driver: the AMQP transport needs the package amqplib: npm install amqplib\n',
    });
  });
});
