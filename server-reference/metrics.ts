import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsTally } from './metrics-tally.js';

/*
 * The server's Prometheus metrics (docs/observability.md). A registry of each server's own, so
 * that two servers in one process do not clash. Nothing here runs per event: the hot paths add
 * to a MetricsTally, and the gauges count the server's sessions and subscriptions when scraped.
 * No label takes a value a client chooses (a stream name, a token): labels are transports,
 * kinds and reasons the server names, so a hostile client cannot grow the registry.
 */

/** What the server is serving now, counted when the metrics are scraped. */
export interface ServerSnapshot {
  /** Open connections by transport (`ws`, `amqp`, `memory`, `other`). */
  readonly connections: ReadonlyMap<string, number>;
  /** Of those, the sessions past the handshake (welcomed), by transport. */
  readonly sessions: ReadonlyMap<string, number>;
  readonly subscriptions: SubscriptionCounts;
}

/** The subscriptions of a server's sessions, by kind and by what holds them up. */
export interface SubscriptionCounts {
  subscriptions: number;
  groupMembers: number;
  projectionWatches: number;
  /** Subscriptions with events to send and no credit to send them with. */
  pausedForCredit: number;
  /** Subscriptions waiting for their connection to drain (over maxBufferedBytes). */
  pausedForConnection: number;
}

/** What a snapshot needs of one of the server's sessions. */
export interface CountedSession {
  /** Past the handshake. */
  readonly welcomed: boolean;
  /** Adds the session's subscriptions to `counts`. */
  countSubscriptions(counts: SubscriptionCounts): void;
}

/**
 * What a server serves now: its sessions, each with its transport's name, counted; every
 * transport of `listened` named, with 0 while it serves no one.
 */
export function snapshotOf(sessions: Iterable<[CountedSession, string]>, listened: Iterable<string>): ServerSnapshot {
  const connections = new Map<string, number>();
  const welcomed = new Map<string, number>();
  for (const transport of listened) {
    connections.set(transport, 0);
    welcomed.set(transport, 0);
  }
  const subscriptions: SubscriptionCounts = { subscriptions: 0, groupMembers: 0, projectionWatches: 0, pausedForCredit: 0, pausedForConnection: 0 };
  for (const [session, transport] of sessions) {
    connections.set(transport, (connections.get(transport) ?? 0) + 1);
    if (session.welcomed) welcomed.set(transport, (welcomed.get(transport) ?? 0) + 1);
    session.countSubscriptions(subscriptions);
  }
  return { connections, sessions: welcomed, subscriptions };
}

/** Latency buckets in seconds, from 100 µs (a memory store) to 10 s (a stalled disk or network). */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The Prometheus text format's content type, as prom-client writes it. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Process metrics (CPU, memory, event loop lag, GC): one registry for the whole process, made
 * at the first scrape. Each collectDefaultMetrics call starts an event-loop monitor and a GC
 * observer that are never stopped, so one per server would leak with every server made.
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One server's metrics: its registry (`tauon_*`), filled from the tally its hot paths keep and
 * from a snapshot of its sessions taken at each scrape. {@link ServerMetrics.text} answers a
 * scrape in the Prometheus text format, the process metrics included.
 *
 * @example
 * const server = new TauonServer({ store });
 * const text = await server.metrics?.text();
 */
export class ServerMetrics {
  /** The server's own registry: an embedding application may register metrics of its own here. */
  readonly registry = new Registry();
  /** How long each commit of the store took to become durable (fed by EventStore.onCommitDuration). */
  readonly commitDuration: Histogram;
  readonly #snapshot: () => ServerSnapshot;
  #current: ServerSnapshot | undefined;

  constructor(tally: MetricsTally, snapshot: () => ServerSnapshot) {
    this.#snapshot = snapshot;
    const registry = this.registry;
    const registers = [registry];
    const byTransport = (name: string, help: string, pick: (now: ServerSnapshot) => ReadonlyMap<string, number>): void => {
      // A transport whose connections all closed says 0 rather than vanishing from the scrape.
      const seen = new Set<string>();
      const gauge: Gauge<'transport'> = new Gauge({
        name,
        help,
        labelNames: ['transport'],
        registers,
        collect: () => {
          for (const transport of seen) gauge.set({ transport }, 0);
          for (const [transport, count] of pick(this.current())) {
            seen.add(transport);
            gauge.set({ transport }, count);
          }
        },
      });
    };
    byTransport('tauon_connections', 'Client connections open, handshake or not, by transport.', (now) => now.connections);
    byTransport('tauon_sessions', 'Sessions past the handshake (welcomed), by transport.', (now) => now.sessions);
    new Counter({
      name: 'tauon_connections_opened_total',
      help: 'Client connections accepted, by transport.',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        for (const [transport, count] of tally.connectionsOpened) this.inc({ transport }, count);
      },
    });
    counter(registry, 'tauon_connections_refused_total', 'Connections refused with `overloaded` because maxConnections were open.', () => tally.connectionsRefused);
    const subscriptions: Gauge<'kind'> = new Gauge({
      name: 'tauon_subscriptions',
      help: 'Subscriptions open, by kind: subscription, group-member (consumer groups), projection-watch.',
      labelNames: ['kind'],
      registers,
      collect: () => {
        const counts = this.current().subscriptions;
        subscriptions.set({ kind: 'subscription' }, counts.subscriptions);
        subscriptions.set({ kind: 'group-member' }, counts.groupMembers);
        subscriptions.set({ kind: 'projection-watch' }, counts.projectionWatches);
      },
    });
    const paused: Gauge<'reason'> = new Gauge({
      name: 'tauon_subscriptions_paused',
      help: 'Subscriptions with events to send that wait: for credit (the client has not asked for more) or for their connection to drain.',
      labelNames: ['reason'],
      registers,
      collect: () => {
        const counts = this.current().subscriptions;
        paused.set({ reason: 'credit' }, counts.pausedForCredit);
        paused.set({ reason: 'connection' }, counts.pausedForConnection);
      },
    });
    counter(registry, 'tauon_events_appended_total', 'Events written by appends (duplicates that wrote nothing are not counted).', () => tally.eventsAppended);
    new Counter({
      name: 'tauon_appends_total',
      help: 'Append and invalidate requests answered, by outcome: ok, or error (any code).',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: 'ok' }, tally.appendsSucceeded);
        this.inc({ outcome: 'error' }, tally.appendsFailed);
      },
    });
    counter(registry, 'tauon_events_delivered_total', 'Events sent to subscribers and consumer group members.', () => tally.eventsDelivered);
    counter(registry, 'tauon_delivery_frames_total', 'Frames (events, deliver) that carried the events delivered.', () => tally.deliveryFrames);
    counter(registry, 'tauon_fell_behind_total', 'Times a live subscription was told fell-behind (moved back to reading history).', () => tally.fellBehind);
    new Counter({
      name: 'tauon_store_errors_total',
      help: 'Store calls that failed, by operation: append (a whole append call), read (a subscription read).',
      labelNames: ['operation'],
      registers,
      collect() {
        this.reset();
        this.inc({ operation: 'append' }, tally.appendStoreErrors);
        this.inc({ operation: 'read' }, tally.readStoreErrors);
      },
    });
    counter(registry, 'tauon_internal_errors_total', 'Internal errors logged, each told to its client with an id.', () => tally.internalErrors);
    const appendDuration = new Histogram({
      name: 'tauon_append_duration_seconds',
      help: 'Time from handing a batch of appends to the store to its outcomes, durable (one observation per store call).',
      buckets: DURATION_BUCKETS,
      registers,
    });
    tally.appendDuration = (seconds) => appendDuration.observe(seconds);
    this.commitDuration = new Histogram({
      name: 'tauon_store_commit_duration_seconds',
      help: "Time the store took to make one commit durable: lmdb's synced transaction, PostgreSQL's write and COMMIT, JetStream's publishes and acks.",
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  /** The metrics in the Prometheus text format: this server's, then the process's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }

  /** The snapshot of this scrape: every gauge's collect runs in the same turn, and shares one. */
  private current(): ServerSnapshot {
    if (this.#current === undefined) {
      this.#current = this.#snapshot();
      queueMicrotask(() => (this.#current = undefined));
    }
    return this.#current;
  }
}

/** A counter without labels whose value is read from the tally when scraped. */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
