/*
 * The counts the hot paths keep (appends, deliveries, fell-behind, failures) as plain numbers:
 * an addition per batch or frame, no allocation, no metrics library. The server's metrics
 * (metrics.ts) read them when scraped.
 */

/** Records how long something took, in seconds (a histogram's `observe`, or nothing). */
export type DurationSink = (seconds: number) => void;

/** Where durations go when no histogram takes them. */
const IGNORE_DURATION: DurationSink = () => undefined;

/**
 * The running counts of one server, kept by its sessions, subscriptions and append pipelines.
 * Counts only grow; each is a Prometheus counter of the same meaning (docs/observability.md).
 */
export class MetricsTally {
  /** Events written by appends (duplicates that wrote nothing are not counted). */
  eventsAppended = 0;
  /** Append and invalidate requests answered `appended`. */
  appendsSucceeded = 0;
  /** Append and invalidate requests answered with an error (any code, `chain-broken` included). */
  appendsFailed = 0;
  /** Events sent to subscribers and consumer group members. */
  eventsDelivered = 0;
  /** Frames that carried those events (`events` and `deliver`). */
  deliveryFrames = 0;
  /** Live subscriptions told `fell-behind`. */
  fellBehind = 0;
  /** Store calls that failed as a whole: appends, and reads of a subscription. */
  appendStoreErrors = 0;
  readStoreErrors = 0;
  /** Internal errors logged (each one a client was told as `internal error, id ID`). */
  internalErrors = 0;
  /** Connections accepted, by transport, and refused for `maxConnections`. */
  readonly connectionsOpened = new Map<string, number>();
  connectionsRefused = 0;
  /** How long each append call to the store took until settled (ServerMetrics sets it). */
  appendDuration: DurationSink = IGNORE_DURATION;

  /** Names a transport the server listens on: its counts start at 0. */
  listening(transport: string): void {
    if (!this.connectionsOpened.has(transport)) this.connectionsOpened.set(transport, 0);
  }

  /** Counts a connection accepted on `transport`. */
  connectionOpened(transport: string): void {
    this.connectionsOpened.set(transport, (this.connectionsOpened.get(transport) ?? 0) + 1);
  }
}
