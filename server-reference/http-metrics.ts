import type { ServerResponse } from 'node:http';
import { TauonError } from '../protocol/errors.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { TauonServer } from './server.js';

/**
 * An answer of the HTTP API that is text, not JSON: the metrics' Prometheus text format.
 */
export class TextAnswer {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}

  /** Writes the answer with its status, type and length. */
  writeTo(response: ServerResponse, status: number): void {
    response.writeHead(status, {
      'content-type': this.contentType,
      'content-length': Buffer.byteLength(this.text),
      // A scrape is of now: no cache may answer the next one.
      'cache-control': 'no-store',
    });
    response.end(this.text);
  }
}

/**
 * `GET /metrics`: the server's metrics in the Prometheus text format (docs/observability.md).
 * The HTTP API has checked the token first: on a server that authenticates, any token it admits
 * may read them, as for `GET /info` (they are counts of the whole server, and name no stream).
 * @throws TauonError `not-found` when the server keeps no metrics (TauonServerOptions.metrics false).
 */
export async function metricsAnswer(server: TauonServer): Promise<TextAnswer> {
  const metrics = server.metrics;
  if (metrics === undefined) throw new TauonError('not-found', 'this server keeps no metrics (TauonServerOptions.metrics is false)');
  return new TextAnswer(METRICS_CONTENT_TYPE, await metrics.text());
}
