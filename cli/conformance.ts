import { execFile } from 'node:child_process';
import { redactUrl } from '../transports/redact-url.js';
import type { ClientTransport } from '../transports/transport.js';
import { wsTransport } from '../transports/ws/index.js';
import type { CaseResult, ServerUnderTest } from '../test/conformance/runner.js';
import { parseCommand, stringFlag, UsageError } from './arguments.js';
import { tokenOf } from './client-commands.js';
import { trustedCa } from './trusted-ca.js';

export const CONFORMANCE_USAGE =
  'tauon conformance URL [--token T] [--only SECTION]... [--service NAME] [--ca FILE]\n' +
  '    [--reader-token T --writer-token T [--expiring-token-command CMD]] [--max-connections N] [--list]';

/** `tauon conformance --help`: what the command does and what each flag gives the kit. */
export const CONFORMANCE_HELP = `usage: ${CONFORMANCE_USAGE}

Runs the wire conformance kit (every rule of protocol/SPEC.md, one case each, raw frames) against
a running server of any language, and prints each case as passed, failed or skipped with its
section, then "N passed, N failed, N skipped". Exits 1 when a case failed, 2 on a usage error.

  URL                 ws://, wss://, amqp:// or amqps:// (with --service, default "tauon").
                      The kit writes streams named conf-<run>-..., tauon-conf-auth.<run>-... and
                      tauon-conf-other-<run>-..., never the same names twice: the server may hold
                      data, and the kit may run again on it. Use a server you may write to.
  --token T           the token of a hello that may read and write everything (default: the
                      TAUON_TOKEN environment variable); a server that authenticates needs it.
  --only SECTION      runs the cases of one section and those under it (6.4 runs 6.4.4); repeat
                      the flag for several sections.
  --reader-token T    a token that may read tauon-conf-auth.* and nothing else, and write nothing;
  --writer-token T    a token that may write tauon-conf-auth.* and nothing else, and read nothing:
                      with both, the authorization cases (SPEC 6.6) run; without, they are skipped.
  --expiring-token-command CMD
                      a shell command that prints a fresh token that may read and write
                      everything and expires 1 to 3 seconds later (such as a JWT with that exp):
                      the token expiry case runs then.
  --max-connections N the most connections the server serves at once (it is not announced):
                      the kit opens N and one more, which must be refused overloaded (SPEC 8).
                      Give it only for a small N, on a server nobody else uses meanwhile.
  --service NAME      the service queue of an amqp:// server.
  --ca FILE           the CA to trust for wss:// and amqps:// (default: TAUON_CA).
  --list              prints the cases (section and title) without connecting.

The kit reads the server's limits and heartbeat from its welcome: a server that announces small
limits and a short heartbeat (tauon serve: the "protocol" section of --config) runs it faster.
Over ws:// the cases of the WebSocket upgrade run as well: the server must then not allow every
origin. The cases of consumer groups (SPEC 17) and projections (SPEC 18) run when welcome lists
their feature; those of projections read a projection "kit-counts" (events per type over $all)
that the server must run (tauon serve: "projections" of --config names its module).
Docs: docs/testing.md.

Example:
  tauon conformance ws://127.0.0.1:7600 --only 6.4
  tauon conformance --list`;

/** The transport for the URL under test; the AMQP transport (and amqplib) only for amqp URLs. */
async function transportFor(url: string, values: Record<string, string | boolean | undefined>): Promise<ClientTransport> {
  const ca = trustedCa(values, url);
  const tls = ca === undefined ? {} : { ca };
  if (/^amqps?:\/\//i.test(url)) {
    const { amqpTransport } = await import('../transports/amqp/index.js');
    return amqpTransport(url, { service: stringFlag(values, 'service', 'tauon'), ...tls });
  }
  if (/^wss?:\/\//i.test(url)) {
    if (typeof values['service'] === 'string') throw new UsageError('--service is for amqp:// and amqps:// URLs');
    return wsTransport(url, tls);
  }
  throw new UsageError(`URL is a ws://, wss://, amqp:// or amqps:// URL, not "${url}"`);
}

/** Runs a shell command and takes what it printed, trimmed, as a token. */
function tokenFromCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: 10_000 }, (error, stdout, stderr) => {
      const token = stdout.trim();
      if (error !== null) reject(new Error(`--expiring-token-command failed: ${error.message} ${stderr}`.trim()));
      else if (token === '') reject(new Error('--expiring-token-command printed no token'));
      else resolve(token);
    });
  });
}

/** The server under test that the flags describe. */
export async function serverUnderTestOf(url: string, values: Record<string, string | boolean | undefined>): Promise<ServerUnderTest> {
  const transport = await transportFor(url, values);
  const { token } = tokenOf(values);
  const reader = values['reader-token'];
  const writer = values['writer-token'];
  const expiringCommand = values['expiring-token-command'];
  if ((typeof reader === 'string') !== (typeof writer === 'string')) {
    throw new UsageError('--reader-token and --writer-token go together: the authorization cases need both');
  }
  if (typeof reader === 'string' && token === undefined) {
    throw new UsageError('--reader-token and --writer-token need --token (or TAUON_TOKEN): a token that may read and write everything');
  }
  if (typeof expiringCommand === 'string' && typeof reader !== 'string') {
    throw new UsageError('--expiring-token-command needs --reader-token and --writer-token');
  }
  const maxConnections = values['max-connections'];
  const bound = typeof maxConnections === 'string' ? Number(maxConnections) : undefined;
  if (bound !== undefined && (!Number.isSafeInteger(bound) || bound < 1 || bound > 10_000)) {
    throw new UsageError('--max-connections must be a whole number from 1 to 10000');
  }
  return {
    connect: () => transport.connect(),
    ...(token === undefined ? {} : { token }),
    // The upgrade's cases (origins, path) need the WebSocket URL itself.
    ...(/^wss?:\/\//i.test(url) ? { webSocketUrl: () => url } : {}),
    ...(bound === undefined ? {} : { maxConnections: bound }),
    ...(typeof reader === 'string' && typeof writer === 'string'
      ? {
          auth: {
            reader,
            writer,
            ...(typeof expiringCommand === 'string' ? { expiring: () => tokenFromCommand(expiringCommand) } : {}),
          },
        }
      : {}),
  };
}

/** One result as a line (and the failure's reason, indented, under it). */
export function resultLines(result: CaseResult): string[] {
  const label = result.outcome.padEnd(7);
  if (result.outcome === 'skipped') return [`${label} ${result.name} (${result.reason ?? 'skipped'})`];
  const head = `${label} ${result.name} (${result.ms} ms)`;
  if (result.reason === undefined) return [head];
  return [head, ...result.reason.split('\n').map((line) => `        ${line}`)];
}

/**
 * `tauon conformance URL`: the wire kit against a running server, without vitest. Returns the
 * exit code: 0 when no case failed, 1 when one did.
 */
export async function conformance(args: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    token: { type: 'string' },
    only: { type: 'string', multiple: true },
    service: { type: 'string' },
    ca: { type: 'string' },
    'reader-token': { type: 'string' },
    'writer-token': { type: 'string' },
    'expiring-token-command': { type: 'string' },
    'max-connections': { type: 'string' },
    list: { type: 'boolean' },
  });
  const only = (values['only'] as unknown as string[] | undefined) ?? [];
  // Loaded here: the kit's cases are of no use to the other commands.
  const { WIRE_CASES, caseName, inSection, runConformance, summarize } = await import('../test/conformance/runner.js');
  const chosen = WIRE_CASES.filter((testCase) => only.length === 0 || only.some((section) => inSection(testCase, section)));
  if (only.length > 0 && chosen.length === 0) throw new UsageError(`no case is in section ${only.join(', ')}`);
  if (values['list'] === true) {
    for (const testCase of chosen) out(caseName(testCase));
    out(`${chosen.length} cases`);
    return 0;
  }
  const [url, ...rest] = positionals;
  if (url === undefined) throw new UsageError('conformance takes the URL of the server under test');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const server = await serverUnderTestOf(url, values);
  const started = Date.now();
  out(`tauon conformance: ${chosen.length} cases against ${redactUrl(url)}`);
  // A failed case may leave a wait of its own behind, which fails later: that is the case's
  // failure, already reported, and no reason to end the run.
  const stray = () => undefined;
  process.on('unhandledRejection', stray);
  let results: CaseResult[];
  try {
    results = await runConformance(chosen, server, { onResult: (result) => resultLines(result).forEach((line) => out(line)) });
  } catch (error) {
    // The kit's first handshake failed: no case could run.
    process.stderr.write(`tauon conformance: no case ran: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    process.off('unhandledRejection', stray);
  }
  const { passed, failed, skipped } = summarize(results);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed > 0) {
    out('');
    out('failed:');
    for (const result of results.filter((candidate) => candidate.outcome === 'failed')) out(`  ${result.name}`);
  }
  const unmet = new Set(results.flatMap((result) => (result.outcome === 'skipped' && result.reason !== undefined ? [result.reason] : [])));
  if ([...unmet].some((reason) => reason.includes('auth'))) out('(the authorization cases need --token, --reader-token and --writer-token; expiry: --expiring-token-command)');
  out(`${passed} passed, ${failed} failed, ${skipped} skipped in ${seconds} s`);
  return failed > 0 ? 1 : 0;
}
