/**
 * Helpers for suites that need a real RabbitMQ, PostgreSQL or NATS on this machine.
 *
 * `.ci/run` exports `TAUON_REQUIRE_SERVICES=1`: there a missing service fails the suite loudly.
 * In a developer's plain `npm test` a missing service makes the suite skip, with a message.
 *
 * ```ts
 * const hasRabbit = await requireService('RabbitMQ', 5672);
 * describe.skipIf(!hasRabbit)('amqp transport', () => { ... });
 * ```
 * @module
 */
import { Socket } from 'node:net';

/** Where the project's services listen (see shared/services.md). */
export const SERVICE_HOST = '127.0.0.1';

/** Ports of the services the integration suites use. */
export const SERVICE_PORTS = {
  rabbitmq: 5672,
  postgres: 5432,
  nats: 4222,
} as const;

/** How long a TCP probe waits for a connection before it calls the service absent. */
export const PROBE_TIMEOUT_MS = 1_000;

/**
 * Whether something accepts TCP connections at host:port, within `timeoutMs`.
 * Never rejects: a refused connection, an error or a time-out all answer `false`.
 */
export function serviceAvailable(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const settle = (available: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(available);
    };
    socket.setTimeout(timeoutMs, () => settle(false));
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.connect({ host, port });
  });
}

/** True when the environment says missing services are failures (`TAUON_REQUIRE_SERVICES=1`). */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['TAUON_REQUIRE_SERVICES'] === '1';
}

/** A required service (TAUON_REQUIRE_SERVICES=1) could not be reached. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';

  constructor(
    readonly service: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `${service} is required (TAUON_REQUIRE_SERVICES=1) but nothing answers at ${host}:${port}; ` +
        'start it as /work/shared/services.md says (bash .ci/run does this)',
    );
  }
}

/** Options for {@link requireService}; the defaults are the real machine's. */
export interface RequireServiceOptions {
  /** @default SERVICE_HOST (127.0.0.1) */
  readonly host?: string;
  /** @default PROBE_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the skip message goes. @default console.warn */
  readonly log?: (message: string) => void;
}

/**
 * Probes a service for a suite that needs it.
 *
 * @returns `true` when it answers; `false` when it does not and services are optional, after
 *   printing why the suite will be skipped.
 * @throws ServiceUnavailableError when it does not answer and `TAUON_REQUIRE_SERVICES=1`.
 */
export async function requireService(name: string, port: number, options: RequireServiceOptions = {}): Promise<boolean> {
  const host = options.host ?? SERVICE_HOST;
  if (await serviceAvailable(host, port, options.timeoutMs ?? PROBE_TIMEOUT_MS)) return true;
  if (servicesRequired(options.env ?? process.env)) throw new ServiceUnavailableError(name, host, port);
  const log = options.log ?? ((message: string) => console.warn(message));
  log(
    `[tauon] skipping tests that need ${name}: nothing answers at ${host}:${port} ` +
      '(set TAUON_REQUIRE_SERVICES=1 to make this a failure)',
  );
  return false;
}
