import type { Channel } from 'amqplib';

/**
 * Declares the discovery exchange, the same way on every side (a declaration that differs from
 * the existing exchange fails with 406 PRECONDITION_FAILED, so all sides must agree).
 *
 * Fanout: every directory gets every announcement, and there is nothing to route by.
 * Not durable: announcements are liveness signals that mean nothing after a broker restart, and
 * every announcer and directory declares the exchange again when it reconnects, so nothing is
 * lost by letting a restart drop it; a durable one would stay in the broker's definitions long
 * after its last server. Not auto-delete: RabbitMQ would delete it when the last directory
 * unbinds, and the announcers' next publish would then close their channel (404 NOT_FOUND).
 */
export async function declareDiscoveryExchange(channel: Channel, exchange: string): Promise<void> {
  await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: false });
}
