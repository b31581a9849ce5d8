import { parseServerFrame } from '../../../protocol/validate.js';
import { codecByName } from '../../../protocol/codec.js';
import type { WelcomeFrame } from '../../../protocol/frames.js';
import type { CodecName } from '../../../protocol/codec.js';
import type { RawPeer } from '../raw-peer.js';
import type { CaseNeed, ConformanceCase } from './case.js';
import { caseName, inSection } from './case.js';
import { KitContext } from './context.js';
import type { ServerUnderTest } from './server-under-test.js';

/** The projection a server runs for the SPEC 18 cases (docs/testing.md). */
export const KIT_PROJECTION = 'kit-counts';

/** How one case ended. */
export interface CaseResult {
  readonly name: string;
  readonly section: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  readonly ms: number;
  /** Why it failed, or what it needed when skipped. */
  readonly reason?: string;
}

/** Options of {@link runConformance}. */
export interface RunOptions {
  /** Runs only the cases of this section and those under it (`6.4` runs `6.4.4`). */
  readonly only?: string | readonly string[];
  /** Hears each result as soon as its case ended. */
  readonly onResult?: (result: CaseResult) => void;
}

/** The needs that are optional features a server announces in `welcome.features` (SPEC 1). */
const FEATURE_NEEDS: ReadonlySet<CaseNeed> = new Set<CaseNeed>(['groups', 'append-condition', 'projections']);

/**
 * Which needs of a case the server under test does not meet. The features a server serves are
 * known from its `welcome` only: without `welcome`, a need of a feature counts as met (runCase
 * then finds it unmet, and ends the case at once).
 */
export function unmetNeeds(testCase: ConformanceCase, server: ServerUnderTest, welcome?: WelcomeFrame, runsKitProjection?: boolean): CaseNeed[] {
  return (testCase.needs ?? []).filter((need) => {
    switch (need) {
      case 'auth':
        return server.auth === undefined;
      case 'expiring-token':
        return server.auth?.expiring === undefined;
      case 'websocket':
        return server.webSocketUrl === undefined;
      case 'authenticates':
        return server.token === undefined;
      case 'max-connections':
        return server.maxConnections === undefined;
      case 'groups':
      case 'append-condition':
        return welcome !== undefined && !servesFeature(welcome, need);
      case 'projections':
        // The cases read the kit's own projection: a server without it is not tested, not failed.
        return (welcome !== undefined && !servesFeature(welcome, need)) || runsKitProjection === false;
    }
  });
}

/** Whether a server's `welcome` lists an optional feature (SPEC 6.5.1). */
export function servesFeature(welcome: WelcomeFrame, feature: string): boolean {
  return (welcome.features ?? []).includes(feature);
}

/** Whether each server runs the kit's projection, asked once per server. */
const kitProjectionOf = new WeakMap<ServerUnderTest, Promise<boolean>>();

/**
 * Whether the server runs the projection the SPEC 18 cases read (`kit-counts`, docs/testing.md):
 * false when it does not list `"projections"`, does not list `kit-counts` in its `projections`
 * answer, or refuses to answer it.
 */
export function runsKitProjection(server: ServerUnderTest, welcome: WelcomeFrame): Promise<boolean> {
  if (!servesFeature(welcome, 'projections')) return Promise.resolve(false);
  let known = kitProjectionOf.get(server);
  if (known === undefined) {
    known = askProjections(server).then((names) => names.includes(KIT_PROJECTION));
    kitProjectionOf.set(server, known);
  }
  return known;
}

/** The names in the server's `projection-list` (none when it answers anything else). */
async function askProjections(server: ServerUnderTest): Promise<string[]> {
  const connection = await server.connect();
  const codec = codecByName('msgpack');
  try {
    return await new Promise<string[]>((resolve, reject) => {
      connection.onFrame((bytes) => {
        try {
          const frame = parseServerFrame(codec.decode(bytes));
          if (frame.type === 'welcome') connection.send(codec.encode({ type: 'projections', id: 1 }));
          else if (frame.type === 'projection-list') resolve(frame.projections.map((one) => one.name));
          else if (frame.type !== 'ping' && frame.type !== 'pong') resolve([]);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      void connection.closed.then((info) => reject(new Error(`the server closed the connection (${info.code} ${info.reason})`)));
      connection.send(codec.encode({ type: 'hello', versions: [1], ...(server.token === undefined ? {} : { token: server.token }) }));
    });
  } finally {
    connection.close(1000, 'done');
  }
}

/** The `welcome` of one handshake, which tells every case the server's limits and heartbeat. */
export async function readWelcome(server: ServerUnderTest): Promise<WelcomeFrame> {
  const connection = await server.connect();
  const codec = codecByName('msgpack');
  try {
    return await new Promise<WelcomeFrame>((resolve, reject) => {
      connection.onFrame((bytes) => {
        try {
          const frame = parseServerFrame(codec.decode(bytes));
          if (frame.type === 'welcome') resolve(frame);
          else if (frame.type === 'reject' && frame.code === 'unauthorized') {
            const given = server.token === undefined ? 'no token was given' : 'it refused the token given';
            reject(new Error(`the server refused the kit's hello (${given}): ${JSON.stringify(frame)}`));
          } else reject(new Error(`the server answered hello with ${JSON.stringify(frame)}`));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      void connection.closed.then((info) => reject(new Error(`the server closed the connection (${info.code} ${info.reason})`)));
      connection.send(codec.encode({ type: 'hello', versions: [1], ...(server.token === undefined ? {} : { token: server.token }) }));
    });
  } finally {
    connection.close(1000, 'done');
  }
}

/** The time a case may take: its own bound, plus four heartbeat intervals for the cases that wait on them. */
export function caseTimeout(testCase: ConformanceCase, welcome: WelcomeFrame): number {
  return (testCase.timeoutMs ?? 10_000) + 4 * welcome.heartbeat;
}

/**
 * A KitContext that keeps every connection the case opened through it, so that the runner can
 * check, once the case is over, that the server sent none of them a frame that fails the
 * protocol's schemas (SPEC 6.3): a case whose frames were all as expected but one was malformed
 * still fails.
 */
class CheckedKitContext extends KitContext {
  readonly opened: RawPeer[] = [];

  override async connect(codec?: CodecName): Promise<RawPeer> {
    const peer = await super.connect(codec);
    this.opened.push(peer);
    return peer;
  }

  override async open(options?: { codec?: CodecName; token?: string }): Promise<RawPeer> {
    const peer = await super.open(options);
    this.opened.push(peer);
    return peer;
  }

  /** What the server sent that fails the schemas, described for a failure's message. */
  invalidFrames(): string | undefined {
    const invalid = this.opened.flatMap((peer) => peer.invalid);
    if (invalid.length === 0) return undefined;
    const shown = invalid.slice(0, 3).map((bytes) => describeBytes(bytes)).join('; ');
    return `the server sent ${invalid.length} frame(s) that fail the protocol schemas (SPEC 6.3, protocol/frames.ts): ${shown}`;
  }
}

/** A received frame as text: its JSON when it is JSON, else its first bytes in hex. */
function describeBytes(bytes: unknown): string {
  if (!(bytes instanceof Uint8Array)) return JSON.stringify(bytes);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 300));
  if (text.trimStart().startsWith('{')) return text;
  try {
    return JSON.stringify(codecByName('msgpack').decode(bytes)).slice(0, 300);
  } catch {
    return Array.from(bytes.subarray(0, 64), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  }
}

/**
 * Runs one case with a fresh context, bounded in time; throws what the case threw, or, when it
 * passed, that the server sent a frame that fails the schemas.
 */
export async function runCase(testCase: ConformanceCase, server: ServerUnderTest, welcome: WelcomeFrame, run?: string): Promise<void> {
  // A case of a feature the server does not serve proves nothing against it (runConformance skips it).
  const kitProjection = testCase.needs?.includes('projections') === true ? await runsKitProjection(server, welcome) : undefined;
  const unmet = unmetNeeds(testCase, server, welcome, kitProjection);
  if (unmet.some((need) => FEATURE_NEEDS.has(need))) return;
  const kit = new CheckedKitContext(server, welcome, run);
  const bound = caseTimeout(testCase, welcome);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failure: unknown;
  try {
    await Promise.race([
      testCase.run(kit),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the case did not end within ${bound} ms`)), bound);
      }),
    ]);
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(timer);
  }
  const invalid = kit.invalidFrames();
  kit.dispose();
  if (failure !== undefined) {
    if (!(failure instanceof Error)) throw new Error(JSON.stringify(failure));
    if (invalid === undefined) throw failure;
    // The malformed frame is likely why the case waited in vain: say both.
    failure.message = `${failure.message}\n(and ${invalid})`;
    throw failure;
  }
  if (invalid !== undefined) throw new Error(invalid);
}

/** Whether a case is selected by `only` (any of its sections); every case when absent. */
export function selected(testCase: ConformanceCase, only: RunOptions['only']): boolean {
  if (only === undefined) return true;
  const sections = typeof only === 'string' ? [only] : only;
  return sections.length === 0 || sections.some((section) => inSection(testCase, section));
}

/**
 * Runs the cases one after the other against a server, without a test framework (the
 * `tauon conformance` command runs it). A case that needs what the server does not offer is
 * skipped.
 */
export async function runConformance(
  cases: readonly ConformanceCase[],
  server: ServerUnderTest,
  options: RunOptions = {},
): Promise<CaseResult[]> {
  const welcome = await readWelcome(server);
  const kitProjection = await runsKitProjection(server, welcome);
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    if (!selected(testCase, options.only)) continue;
    const name = caseName(testCase);
    const unmet = unmetNeeds(testCase, server, welcome, kitProjection);
    let result: CaseResult;
    if (unmet.length > 0) {
      const why = unmet.includes('projections') && servesFeature(welcome, 'projections') ? ` (the server runs no ${KIT_PROJECTION} projection: docs/testing.md)` : '';
      result = { name, section: testCase.section, outcome: 'skipped', ms: 0, reason: `needs ${unmet.join(', ')}${why}` };
    } else {
      const started = Date.now();
      try {
        await runCase(testCase, server, welcome);
        result = { name, section: testCase.section, outcome: 'passed', ms: Date.now() - started };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        result = { name, section: testCase.section, outcome: 'failed', ms: Date.now() - started, reason };
      }
    }
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

/** How many cases passed, failed and were skipped. */
export function summarize(results: readonly CaseResult[]): { passed: number; failed: number; skipped: number } {
  const count = (outcome: CaseResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}
