import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startRabbitMq, stopRabbitMq } from '../support/rabbitmq-control.js';
import { requireService } from '../support/services.js';
import { startServer } from '../support/harness.js';

const rabbitMq = await requireService('RabbitMQ', 5672);

const EMITS = 600;

describe.skipIf(!rabbitMq)('RabbitMQ stopped and started while a client emits and follows', () => {
  // Whatever happens, leave the broker running for the next test and the next session.
  afterAll(() => startRabbitMq(), 120_000);

  it('reconnects and resumes: every event seen once and in order, every emit landed once', async () => {
    const running = await startServer('amqp');
    const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
    const producer = await connect(running.transport, { reconnect });
    const consumer = await connect(running.transport, { reconnect });
    try {
      const seen: number[] = [];
      const ids: string[] = [];
      const subscription = consumer.subscribe('through-restart', { mode: 'hot-cold' }).subscribe((event) => {
        seen.push(event.seq);
      });
      const emits: Promise<unknown>[] = [];
      let restarted: Promise<void> | undefined;
      for (let i = 0; i < EMITS; i += 1) {
        const id = `restart-${i}`;
        ids.push(id);
        emits.push(producer.emit('through-restart', { id, type: 'Emitted', data: i }));
        // Stop the broker a third of the way in and start it again; emits go on meanwhile.
        if (i === EMITS / 3) restarted = stopRabbitMq().then(() => startRabbitMq());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await restarted;
      await Promise.all(emits);
      const deadline = Date.now() + 60_000;
      while (seen.length < EMITS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      subscription.unsubscribe();
      expect(seen).toEqual(Array.from({ length: EMITS }, (_, i) => i + 1));
      const stored = await producer.read('through-restart', { limit: 1000 });
      expect(stored.events.map((event) => event.id)).toEqual(ids);
    } finally {
      await producer.close();
      await consumer.close();
      await running.close();
    }
  }, 240_000);
});
