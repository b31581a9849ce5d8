import { createRequire } from 'node:module';
import { requireDriver } from '../optional-driver.js';

/** The driver of the AMQP transport. */
export type Amqplib = typeof import('amqplib');

const require = createRequire(import.meta.url);

/**
 * amqplib, loaded when an AMQP transport, announcer or directory is first made (not when
 * tauon/transports/amqp is imported). It is CommonJS, so a synchronous require serves the
 * constructors, which fail at once when it is missing rather than at their first connect. Nothing
 * else may import amqplib but as types.
 * @throws MissingDriverError when amqplib is not installed
 */
export function amqplib(): Amqplib {
  return requireDriver('the AMQP transport', ['amqplib'], () => require('amqplib') as Amqplib);
}
