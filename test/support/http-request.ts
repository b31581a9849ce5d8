import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkServerIdentity } from 'node:tls';

/** An HTTP answer: status, headers (lower-case names) and body text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * Sends one HTTP(S) request with exactly the headers given (a browser's Origin, a rebound Host),
 * which fetch does not let a caller set, and reads the whole answer. Bounded by a timeout.
 */
export function sendHttp(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {},
): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        timeout: 10_000,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        // The certificate is checked against the address dialled, whatever Host header is sent.
        checkServerIdentity: (_host, certificate) => checkServerIdentity(target.hostname.replace(/^\[|\]$/g, ''), certificate),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within 10 s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}
