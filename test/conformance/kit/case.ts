import type { KitContext } from './context.js';

/** What a case needs from the server under test beyond a connection; it is skipped without it. */
export type CaseNeed =
  /** Tokens with known permissions (ServerUnderTest.auth). */
  | 'auth'
  /** A token that expires within seconds (AuthUnderTest.expiring). */
  | 'expiring-token'
  /** The server's WebSocket URL (ServerUnderTest.webSocketUrl). */
  | 'websocket'
  /** A server that authenticates: it refuses a hello without a token. */
  | 'authenticates'
  /** The most connections the server serves at once (ServerUnderTest.maxConnections). */
  | 'max-connections'
  /** Consumer groups: the server's `welcome.features` lists `"groups"` (SPEC 17.1). */
  | 'groups'
  /** Append conditions: the server's `welcome.features` lists `"append-condition"` (SPEC 5.8.1). */
  | 'append-condition'
  /** Projections: the server's `welcome.features` lists `"projections"` (SPEC 18.1), and it runs the kit's `kit-counts` (docs/testing.md). */
  | 'projections';

/**
 * One case of the wire conformance kit: a rule of protocol/SPEC.md, proved against a running
 * server by raw frames. Cases are plain data so that any runner can run them: vitest
 * (describeServer) or the `tauon conformance` command.
 */
export interface ConformanceCase {
  /** The section of SPEC.md that states the rule, such as `6.4.4`. */
  readonly section: string;
  /** The rule, in a few words: `credit beyond maxCredit is capped`. */
  readonly title: string;
  /** What the case needs beyond a connection; without it the case is skipped. */
  readonly needs?: readonly CaseNeed[];
  /** How long the case may take, in ms, besides the heartbeat waits it asks for. @default 10000 */
  readonly timeoutMs?: number;
  /** Proves the rule, throwing (an assertion) when the server breaks it. */
  run(kit: KitContext): Promise<void>;
}

/** A case's name as runners print it: `§6.4.4 credit beyond maxCredit is capped`. */
export function caseName(testCase: ConformanceCase): string {
  return `§${testCase.section} ${testCase.title}`;
}

/** Whether a case's section is `only` or lies under it (`6.4` selects `6.4.4`). */
export function inSection(testCase: ConformanceCase, only: string): boolean {
  const wanted = only.replace(/^§/, '');
  return testCase.section === wanted || testCase.section.startsWith(`${wanted}.`);
}
