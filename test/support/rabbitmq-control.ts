import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serviceAvailable } from './services.js';

const run = promisify(execFile);

/** How long RabbitMQ may take to stop or to come back. */
const RESTART_TIMEOUT_MS = 90_000;

/** Waits until RabbitMQ accepts AMQP connections again (bounded). */
export async function waitForRabbitMq(timeoutMs = RESTART_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await serviceAvailable('127.0.0.1', 5672)) {
      await run('rabbitmqctl', ['-q', 'await_startup'], { timeout: Math.max(1000, deadline - Date.now()) });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`RabbitMQ did not come back within ${timeoutMs} ms`);
}

/** Stops the RabbitMQ node (as shared/services.md runs it) and waits until its port is closed. */
export async function stopRabbitMq(): Promise<void> {
  await run('rabbitmqctl', ['-q', 'stop'], { timeout: RESTART_TIMEOUT_MS });
  const deadline = Date.now() + RESTART_TIMEOUT_MS;
  while ((await serviceAvailable('127.0.0.1', 5672)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts RabbitMQ with the command of shared/services.md and waits until it is ready. */
export async function startRabbitMq(): Promise<void> {
  if (!(await serviceAvailable('127.0.0.1', 5672))) {
    await run('rabbitmq-server', ['-detached'], { timeout: RESTART_TIMEOUT_MS });
  }
  await waitForRabbitMq();
}
