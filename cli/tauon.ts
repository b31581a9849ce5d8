import { TauonError } from '../protocol/errors.js';
import { MissingDriverError } from '../transports/optional-driver.js';
import { UsageError } from './arguments.js';
import {
  discover,
  DISCOVER_USAGE,
  emit,
  EMIT_USAGE,
  streams,
  STREAMS_USAGE,
  tail,
  TAIL_USAGE,
  TOKEN_USAGE,
} from './client-commands.js';
import { DISCOVER_HELP, EMIT_HELP, SERVE_HELP, STREAMS_HELP, TAIL_HELP } from './command-help.js';
import { conformance, CONFORMANCE_HELP, CONFORMANCE_USAGE } from './conformance.js';
import { EXPORT_HELP, EXPORT_USAGE, exportEvents } from './export-command.js';
import { groups, GROUPS_HELP, GROUPS_USAGE } from './groups-command.js';
import { IMPORT_HELP, IMPORT_USAGE, importEvents } from './import-command.js';
import { projections, PROJECTIONS_HELP, PROJECTIONS_USAGE } from './projections-command.js';
import {
  info,
  INFO_HELP,
  INFO_USAGE,
  invalidate,
  INVALIDATE_HELP,
  INVALIDATE_USAGE,
  read,
  READ_HELP,
  READ_USAGE,
  surface,
  SURFACE_HELP,
  SURFACE_USAGE,
} from './read-commands.js';
import { serve, SERVE_USAGE } from './serve.js';
import { packageVersion } from './version.js';

const USAGE = [
  'usage:',
  `  ${SERVE_USAGE}`,
  `  ${EMIT_USAGE}`,
  `  ${TAIL_USAGE}`,
  `  ${STREAMS_USAGE}`,
  `  ${READ_USAGE}`,
  `  ${SURFACE_USAGE}`,
  `  ${INFO_USAGE}`,
  `  ${INVALIDATE_USAGE}`,
  `  ${EXPORT_USAGE}`,
  `  ${IMPORT_USAGE}`,
  `  ${GROUPS_USAGE}`,
  `  ${PROJECTIONS_USAGE}`,
  TOKEN_USAGE,
  `  ${DISCOVER_USAGE}`,
  `  ${CONFORMANCE_USAGE}`,
  '  tauon --version    the version of the installed package',
  '  tauon COMMAND --help    what COMMAND does, its flags and an example',
].join('\n');

/** A command: resolves when done (exit 0, or the exit code it returns), rejects when it failed. */
type Command = (args: readonly string[], out: (line: string) => void) => Promise<void | number>;

const COMMANDS: Record<string, Command> = {
  serve,
  emit,
  tail,
  streams,
  read,
  surface,
  info,
  invalidate,
  export: exportEvents,
  import: importEvents,
  groups,
  projections,
  discover,
  conformance,
};

/** Each command's `--help`: what it does, its flags and an example. */
const HELP: Record<string, string> = {
  serve: SERVE_HELP,
  emit: EMIT_HELP,
  tail: TAIL_HELP,
  streams: STREAMS_HELP,
  read: READ_HELP,
  surface: SURFACE_HELP,
  info: INFO_HELP,
  invalidate: INVALIDATE_HELP,
  export: EXPORT_HELP,
  import: IMPORT_HELP,
  groups: GROUPS_HELP,
  projections: PROJECTIONS_HELP,
  discover: DISCOVER_HELP,
  conformance: CONFORMANCE_HELP,
};

/**
 * The `tauon` command line. Exit codes: 0 done, 1 the server or connection failed (the error's
 * code and message on stderr), 2 the command line was wrong (with the usage).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    // `tauon help read` is `tauon read --help`.
    const topic = name === 'help' && args[0] !== undefined && Object.hasOwn(HELP, args[0]) ? HELP[args[0]] : undefined;
    out(topic ?? USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    out(packageVersion());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  // `tauon serve --help` and the like: the usage, not an unknown-option error.
  if (command !== undefined && (args.includes('--help') || args.includes('-h'))) {
    out(HELP[name] ?? USAGE);
    return 0;
  }
  if (command === undefined) {
    process.stderr.write(`tauon: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    const code = await command(args, out);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      // The command's own usage line, not every command's: the mistake is in this one.
      const usage = HELP[name]?.split('\n\n')[0] ?? USAGE;
      process.stderr.write(`tauon ${name}: ${error.message}\n${usage}\n(tauon ${name} --help says more)\n`);
      return 2;
    }
    const code = error instanceof TauonError || error instanceof MissingDriverError ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tauon ${name}: ${code}: ${message}\n`);
    return 1;
  }
}

/** The exit status of a process ended by SIGPIPE (128 + 13), as `yes | head` leaves for `yes`. */
const BROKEN_PIPE_EXIT = 141;

// A reader that closes our stdout early (`tauon conformance --list | head`) ends a command
// quietly, as SIGPIPE ends Unix tools, with the status that tells a script the output was cut.
// The server alone goes on: its stdout is only where it says it started.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' && process.argv[2] === 'serve') return;
  process.exit(error.code === 'EPIPE' ? BROKEN_PIPE_EXIT : 1);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tauon: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
