import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { requireService } from '../support/services.js';
import { tempDir } from '../support/temp-dir.js';

const rabbitMq = await requireService('RabbitMQ', 5672);
const BROKER = 'amqp://127.0.0.1';

describe.skipIf(!rabbitMq)('the tauon command line over AMQP', () => {
  const service = `tauon-cli-${randomUUID()}`;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  beforeAll(async () => {
    dir = await tempDir('cli-amqp');
    serve = await startServe(['--data', dir.path, '--port', '0', '--amqp', BROKER, '--service', service]);
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('serves on the broker: emit, tail and streams take an amqp:// URL', async () => {
    const ack = await runTauon(['emit', '--url', BROKER, '--service', service, 'amqp-cli', 'Sent', '{"over":"amqp"}']);
    expect(ack.stderr).toBe('');
    expect(JSON.parse(ack.stdout)).toMatchObject({ stream: 'amqp-cli', seq: 1 });
    // The same store answers over WebSocket.
    const viaWs = await runTauon(['tail', '--url', serve.url, 'amqp-cli', '--mode', 'cold']);
    expect(JSON.parse(viaWs.stdout)).toMatchObject({ seq: 1, type: 'Sent', data: { over: 'amqp' } });
    const viaAmqp = await runTauon(['tail', '--url', BROKER, '--service', service, 'amqp-cli', '--mode', 'cold']);
    expect(JSON.parse(viaAmqp.stdout)).toMatchObject({ seq: 1, type: 'Sent' });
    const listed = await runTauon(['streams', '--url', BROKER, '--service', service]);
    expect(JSON.parse(listed.stdout)).toMatchObject({ stream: 'amqp-cli', head: 1 });
  });

  it('discover lists the server with its service, protocol version and store', async () => {
    const found = await runTauon(['discover', '--url', BROKER, '--wait', '2500']);
    expect(found.code).toBe(0);
    const servers = found.stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(servers).toContainEqual(
      expect.objectContaining({ service, protocolVersion: 1, stores: ['lmdb'], versions: [1] }),
    );
  });

  it('fails with closed, exit 1, when no server serves the named service', async () => {
    const missing = await runTauon(['emit', '--url', BROKER, '--service', `nobody-${randomUUID()}`, 's', 'T']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('closed');
  });
});
