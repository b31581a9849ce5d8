import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command line was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a command's flags and positionals, turning parseArgs' failures into UsageErrors. */
export function parseCommand(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A flag's string value, or the default. */
export function stringFlag(values: Record<string, string | boolean | undefined>, name: string, fallback: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : fallback;
}

/** The default server URL of every client command. */
export const DEFAULT_URL = 'ws://127.0.0.1:7600';
