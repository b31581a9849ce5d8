import { DISCOVER_USAGE, EMIT_USAGE, STREAMS_USAGE, TAIL_USAGE } from './client-commands.js';
import { CONNECTION_HELP } from './read-commands.js';
import { SERVE_USAGE } from './serve.js';

/*
 * The `--help` of the commands whose code predates per-command help: what each does, its flags
 * and an example. The usage line itself comes from the command's file, so it cannot drift.
 */

export const SERVE_HELP = `usage: ${SERVE_USAGE}

Runs the reference server: WebSocket and the HTTP API on one port (and with --amqp also on a
RabbitMQ broker), until SIGINT or SIGTERM. It prints "serving ws://HOST:PORT and http://HOST:PORT".

  --data DIR            the lmdb store in DIR (default ./data)
  --store URL           one store: postgres://...[?schema=S], nats://...[?stream=S&subjectPrefix=P], lmdb:DIR
  --config FILE         stores, routes, auth, limits and more: see docs/configuration.md
  --host H, --port P    where to listen (default 127.0.0.1:7600; --port 0 takes a free port)
  --amqp URL            also serve on this broker's service queue (--service NAME, default tauon)
  --allow-anonymous     serve without auth on an address other machines reach
  --max-connections N   refuse connections beyond N
  --server-id NAME      the id in welcome (default: the store's identity)
  --no-ui               do not serve the web view at /ui (docs/web-view.md)
  --log-level L         JSON log lines on stderr from level L up (default info): fatal, error,
                        warn, info, debug (a line per connection), trace, silent (docs/observability.md)
  --tls-cert, --tls-key serve wss:// and https:// (PEM files)
  --allow-origin, --allow-host   which browser pages may connect (docs/security.md)
  --amqp-ca FILE        the CA of an amqps:// broker

Example:
  tauon serve --data ./data --port 7600
  tauon serve --store 'postgres://127.0.0.1:5432/app?schema=events' --port 0`;

export const EMIT_HELP = `usage: ${EMIT_USAGE}

Appends one event to STREAM and prints its ack as one JSON line: stream, seq, pos, tx, and
duplicate (true when its id was already stored: nothing was written again).

  JSON                 the event's data (any JSON value)
  --key K              the partition key (the entity the event is about)
  --id ID              the event's id, its idempotency key (default: a new UUIDv7)
  --expected E         any (default), none, exists, or the stream's version (a seq)
  --condition JSON     write only if no matching event came after a position (SPEC 5.8.1):
                       {"stream": SELECTOR, "types": [...], "keys"?: [...], "after": POS}
${CONNECTION_HELP}

Example:
  tauon emit orders.42 OrderPlaced '{"total": 12}' --key order-42
  # {"stream":"orders.42","seq":1,"pos":17,"tx":1,"duplicate":false}`;

export const TAIL_HELP = `usage: ${TAIL_USAGE}

Follows STREAM (or PREFIX*, or $all) and prints one JSON line per event, until Ctrl-C; with
--mode cold it prints the history and exits.

  --from P       where to start (default start): end, N (at N), after:N, event:ID, or
                 time:2026-01-31T12:00:00Z / time:MS; N is a seq, or a pos for a pattern
  --mode M       hot-cold (default: history, then live), cold (history only), hot (live only)
${CONNECTION_HELP}

Example:
  tauon tail 'orders.*' --mode hot
  tauon tail orders.42 --mode cold | jq .type`;

export const STREAMS_HELP = `usage: ${STREAMS_USAGE}

Lists the streams, in name order, one JSON line each: stream, head (its version), count, tx,
lastPos, lastRecorded. A server that authenticates lists the streams the token may read.

  --prefix P     only streams whose name starts with P
${CONNECTION_HELP}

Example:
  tauon streams --prefix orders.`;

export const DISCOVER_HELP = `usage: ${DISCOVER_USAGE}

Listens to a RabbitMQ broker's announcements (SPEC 15.3) and prints one JSON line per live
server on it: its name, id, service queue, versions and when it announced itself.

  --url URL      the broker, amqp:// or amqps:// (default amqp://127.0.0.1)
  --ca FILE      a private CA to trust over TLS (default: TAUON_CA)
  --wait MS      how long to listen (default 2500)

Example:
  tauon discover --url amqp://guest:guest@127.0.0.1 --wait 1000`;
