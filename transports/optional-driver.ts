/**
 * The drivers of the stores and transports (pg, @nats-io/*, amqplib, and lmdb, the embedded
 * default) are loaded only when a store or transport that needs them is opened, so that a user of
 * the client or of one store installs and loads no other store's driver. pg, @nats-io/* and
 * amqplib are optional peer dependencies: a missing one is reported as a
 * {@link MissingDriverError} that says what to install.
 * @module
 */

/**
 * A store or transport was used whose driver package is not installed. `code` is stable
 * (`missing-driver`); it is not a wire error code: this failure never crosses the wire.
 *
 * @example
 * ```ts
 * await PostgresStore.open('postgres://127.0.0.1/app');
 * // MissingDriverError: the PostgreSQL store needs the package pg: npm install pg
 * ```
 */
export class MissingDriverError extends Error {
  override readonly name = 'MissingDriverError';
  /** Stable: tells this failure apart from others. */
  readonly code = 'missing-driver';

  constructor(
    /** What needs the driver, as a message says it: "the PostgreSQL store". */
    readonly feature: string,
    /** Every package the feature needs: the `npm install` line names them all. */
    readonly packages: readonly string[],
    /** The package that was not found. */
    readonly missing: string,
    cause?: unknown,
  ) {
    const plural = packages.length > 1;
    super(
      `${feature} needs the package${plural ? 's' : ''} ${packages.join(', ')}` +
        `${plural ? ` (${missing} is missing)` : ''}: npm install ${packages.join(' ')}`,
      { cause },
    );
  }
}

/**
 * Loads a driver (or the module of ours that imports it) with `load`, a dynamic `import()`.
 *
 * @param feature what needs it, for the message: "the PostgreSQL store"
 * @param packages the packages it needs, for the message and to recognize which one is missing
 * @throws MissingDriverError when one of `packages` is not installed; any other failure as it is
 */
export async function importDriver<T>(feature: string, packages: readonly string[], load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw missingDriverError(error, feature, packages) ?? error;
  }
}

/**
 * {@link importDriver} for a constructor that cannot wait: `load` is a `require` of a CommonJS
 * driver, so that a missing driver fails where the transport is made, not on its first connect.
 */
export function requireDriver<T>(feature: string, packages: readonly string[], load: () => T): T {
  try {
    return load();
  } catch (error) {
    throw missingDriverError(error, feature, packages) ?? error;
  }
}

/**
 * The MissingDriverError for a failed load, when the failure is one of `packages` not being
 * found. Node says which package it could not find only in the message ("Cannot find package
 * 'pg' imported from ...", "Cannot find module 'amqplib'"), quoted; a module missing inside an
 * installed driver names another specifier and is not taken for a missing driver.
 */
function missingDriverError(error: unknown, feature: string, packages: readonly string[]): MissingDriverError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const missing = packages.find((name) => error.message.includes(`'${name}'`));
  return missing === undefined ? undefined : new MissingDriverError(feature, packages, missing, error);
}
