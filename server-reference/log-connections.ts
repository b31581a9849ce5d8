import type { Connection } from '../transports/transport.js';
import { logs, type ServerLog } from './log.js';

/**
 * The connection lines of a server's log: `connection opened` and `connection closed` (why, by
 * whom, after how long), at debug. Nothing is built when the log does not write debug.
 */
export class ConnectionLog {
  #serial = 0;

  constructor(private readonly log: ServerLog | undefined) {}

  /** Logs that `connection` of `transport` opened, and later that it closed. */
  opened(connection: Connection, transport: string): void {
    if (!logs(this.log, 'debug')) return;
    const log = this.log;
    const id = ++this.#serial;
    const openedAt = performance.now();
    log.debug({ connection: id, transport }, 'connection opened');
    void connection.closed.then(({ code, reason, local }) => {
      const seconds = Math.round(performance.now() - openedAt) / 1000;
      log.debug({ connection: id, transport, code, reason, closedBy: local ? 'server' : 'client', seconds }, 'connection closed');
    });
  }
}
