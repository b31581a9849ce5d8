import type { ServerLimits } from '../protocol/frames.js';

/** The limits a reference server enforces unless told otherwise. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: 1024 * 1024,
  maxEventsPerAppend: 10_000,
  maxSubscriptions: 1000,
  maxCredit: 100_000,
  maxReadLimit: 1000,
};

/**
 * The most client connections a server serves at once, unless told otherwise: each holds a
 * socket, its session and up to maxSubscriptions subscriptions, so some bound is needed; well
 * above what one process serves at its best, and under common file-descriptor limits (65536).
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Keep-alive interval announced in `welcome`; a peer silent for three of them is dead. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** How many intervals of silence make a peer dead. */
export const HEARTBEAT_MISSES = 3;

/** A live subscription this many positions behind the head is told `fell-behind`. */
export const DEFAULT_BEHIND_THRESHOLD = 1000;

/** Most events a subscription reads from the store at once (also bounded by its credit). */
export const SUBSCRIPTION_PAGE_SIZE = 500;

/**
 * Events of the newest commits the server keeps while a live subscriber is behind, to serve
 * those that fell behind by less than that from memory (at 10,000 events/s, one second).
 */
export const RECENT_COMMIT_EVENTS = 10_000;

/**
 * A subscription without credit for this long is stalled: the recent commits are not kept for
 * it (it reads the store when it takes events again), so that a consumer that stopped does not
 * keep the server holding and then dropping every commit's events.
 */
export const SUBSCRIPTION_STALLED_MS = 1_000;

/**
 * Most bytes a connection may hold unsent (its transport's `bufferedAmount`) before the server
 * stops sending to it and reading from it, until it drains: a client that stops reading its
 * socket costs the server this much (and at most a page more per subscription), whatever its
 * credit. 1 MiB keeps a fast reader's pipe full (the operating system's socket buffer holds more).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Most requests (read, surface, streams, info, subscribe) of one connection answered at once;
 * frames behind more wait in the transport. Bounds the answers a pipelining client has pending.
 */
export const ANSWERS_IN_FLIGHT = 16;
