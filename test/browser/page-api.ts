/*
 * The page of the browser suite (chromium.int.test.ts), installed by page-entry.ts (the default
 * codec of a browser build, JSON) or page-msgpack-entry.ts (msgpack, by passing msgpackCodec):
 * bundled by esbuild from the package's browser exports, run in headless Chromium, driven from
 * the test through `window.tauonPage`. It holds one client, its connection states and what a
 * hot-cold subscription delivered.
 */
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { connect, type Client, type Codec, type StoredEvent } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';

/** An event as the test checks it: where the store put it and which one the page emitted. */
export interface SeenEvent {
  readonly seq: number;
  readonly n: number;
}

/**
 * What a cross-origin `fetch` of the HTTP API answered. That the page may read it at all is the
 * server's CORS answer (the header itself is not readable by a page).
 */
export interface FetchAnswer {
  readonly status: number;
  readonly events: number;
}

/** The page's API, as the test calls it through `page.evaluate`. */
export interface TauonPage {
  /** Connects to a `ws://` URL; rejects when the server refuses (another origin, say). */
  open(url: string): Promise<void>;
  /** Emits `count` events `{ n }`, n = from, from + 1, ..., one emit each, all in flight at once; the acked seqs. */
  emit(stream: string, from: number, count: number): Promise<number[]>;
  /** A cold replay of the stream, whole. */
  replay(stream: string): Promise<SeenEvent[]>;
  /** Starts following the stream hot-cold from its start. */
  follow(stream: string): void;
  /** What the follower has received so far, and its error if it failed. */
  followed(): { events: SeenEvent[]; error: string | undefined };
  /** The connection states seen, in order (`connecting`, `connected`, `reconnecting`, ...). */
  states(): string[];
  /** GETs the stream's events from the HTTP API, from this page's origin. */
  fetchEvents(httpUrl: string, stream: string): Promise<FetchAnswer>;
  close(): Promise<void>;
}

declare global {
  interface Window {
    tauonPage: TauonPage;
  }
}

let client: Client | undefined;
let following: Subscription | undefined;
const followedEvents: SeenEvent[] = [];
let followError: string | undefined;
const states: string[] = [];

function seen(event: StoredEvent): SeenEvent {
  return { seq: event.seq, n: (event.data as { n: number }).n };
}

function connected(): Client {
  if (client === undefined) throw new Error('open() first');
  return client;
}

/** Installs `window.tauonPage`, whose clients use `codec` (the build's default when undefined). */
export function installTauonPage(codec?: Codec): void {
  window.tauonPage = page(codec);
}

function page(codec: Codec | undefined): TauonPage {
  const chosen = codec === undefined ? {} : { codec };
  return {
    async open(url) {
      // Dial again quickly after the server went away: the test restarts it at once.
      client = await connect(wsTransport(url), { ...chosen, clientName: 'tauon-browser-test', reconnect: { initialDelayMs: 50, maxDelayMs: 500 } });
      client.status$.subscribe((status) => states.push(status.state));
    },
    async emit(stream, from, count) {
      const acks = await Promise.all(Array.from({ length: count }, (_, i) => connected().emit(stream, { type: 'Counted', data: { n: from + i } })));
      return acks.map((ack) => ack.seq);
    },
    async replay(stream) {
      return (await lastValueFrom(connected().replay(stream).pipe(toArray()))).map(seen);
    },
    follow(stream) {
      following = connected()
        .subscribe(stream, { mode: 'hot-cold' })
        .subscribe({
          next: (event) => followedEvents.push(seen(event)),
          error: (error: unknown) => (followError = error instanceof Error ? error.message : String(error)),
        });
    },
    followed: () => ({ events: [...followedEvents], error: followError }),
    states: () => [...states],
    async fetchEvents(httpUrl, stream) {
      const response = await fetch(`${httpUrl}/streams/${encodeURIComponent(stream)}/events?limit=1000`);
      const body = (await response.json()) as { events?: unknown[] };
      return { status: response.status, events: body.events?.length ?? 0 };
    },
    async close() {
      following?.unsubscribe();
      await client?.close();
    },
  };
}
