import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { dataProblem, isWellFormedStringMap, isWellFormedText, NOT_WELL_FORMED } from './data-limits.js';

// zod/mini (the functional API of zod 4's core) keeps the browser bundle small; unlike zod's
// classic API it sets no locale, and without one every message would read "Invalid input".
z.config(english());

/*
 * Every frame of protocol v1 as a zod schema. protocol/SPEC.md is the prose; these schemas are
 * what both sides run on every frame they receive. Unknown fields are ignored (and dropped), so
 * that a later minor revision can add optional fields without breaking older peers.
 */

/** A non-negative safe integer: sequence numbers, positions, request and subscription ids. */
const uint = z.number().check(z.int(), z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER));
/** A positive safe integer. */
const positive = z.number().check(z.int(), z.positive(), z.lte(Number.MAX_SAFE_INTEGER));
/** Milliseconds since 1970-01-01T00:00:00Z. */
const epochMillis = z.number().check(z.int(), z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER));

/** The most characters a stream name, event id, type or key may have. */
export const MAX_NAME_LENGTH = 256;

/** A string with no lone surrogate: it has a UTF-8 form, so it is stored and delivered unchanged. */
const text = z.string().check(z.refine(isWellFormedText, NOT_WELL_FORMED));

const name = text.check(z.minLength(1), z.maxLength(MAX_NAME_LENGTH));

/** Event data: any value the codec carries, nested at most MAX_DATA_DEPTH levels, its strings well-formed. */
const eventData = z.unknown().check(z.superRefine((value, context) => {
  const problem = dataProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
}));

/**
 * `meta`: a map of strings to strings, kept as it is (a copy by z.record would drop a
 * `__proto__` key).
 */
const stringMap = z
  .custom<Record<string, string>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected a map of strings',
  )
  .check(
    z.superRefine((map: Record<string, unknown>, context) => {
      if (isWellFormedStringMap(map)) return;
      const record: Record<string, unknown> = map;
      for (const key in record) {
        const value = record[key];
        if (typeof value !== 'string') context.addIssue({ code: 'custom', path: [key], message: `expected string, received ${typeof value}` });
        else if (!isWellFormedText(key) || !isWellFormedText(value)) context.addIssue({ code: 'custom', path: [key], message: NOT_WELL_FORMED });
      }
    }),
  );

/**
 * A stream name to append to: not empty, no `*`, and not starting with `$` (reserved for the
 * system, such as `$all`).
 */
export const StreamName = name.check(z.regex(/^[^$*][^*]*$/, 'a stream name has no "*" and does not start with "$"'));

/**
 * What `subscribe`, `read` and `surface` address: one stream name, a prefix pattern ending in
 * `*` (`orders.*` matches every stream whose name starts with `orders.`), or `$all`.
 */
export const StreamSelector = name.check(z.regex(
  /^(\$all|[^$*][^*]*\*?|\*)$/,
  'a selector is a stream name, a prefix ending in "*", or "$all"',
));

/** An event as a producer sends it. `id` is the idempotency key; the server assigns one if absent. */
export const EventInput = z.object({
  id: z.optional(name),
  type: name,
  key: z.optional(name),
  data: z.optional(eventData),
  meta: z.optional(stringMap),
  time: z.optional(epochMillis),
  causation: z.optional(name),
  correlation: z.optional(name),
  schema: z.optional(text.check(z.minLength(1), z.maxLength(1024))),
});
/**
 * An event as a producer sends it (the `EventInput` schema): `type` is required; `id` is the
 * idempotency key, assigned by the client (UUIDv7) or the server when absent.
 */
export interface EventInput {
  /** The idempotency key: an event whose id is already stored is not written again. */
  id?: string;
  /** What happened, such as `OrderPlaced`. */
  type: string;
  /** The entity the event is about: consumer groups partition by it, `surface` keeps the newest per key. */
  key?: string;
  /** Any value the codec carries, nested at most 100 levels (SPEC 4.9). */
  data?: unknown;
  /** A map of strings, kept as it is. */
  meta?: Record<string, string>;
  /** The producer's clock, milliseconds since the epoch. */
  time?: number;
  /** The id of the event or command that caused this one. */
  causation?: string;
  /** The id shared by every event of one conversation or workflow. */
  correlation?: string;
  /** Names the shape of `data`, such as a schema URI or version. */
  schema?: string;
}

/** An event as stored and delivered: the producer's event plus its place in the store. */
export const StoredEvent = z.extend(EventInput, {
  /**
   * Any value the codec carries: a client takes the data a server delivers as it is (the server
   * checked it when it was appended), as the fast check of `events` frames does, unwalked.
   */
  data: z.optional(z.unknown()),
  id: name,
  /** The stream the event belongs to. */
  stream: name,
  /** Dense per stream: the first event of a stream is 1. */
  seq: positive,
  /** Store-wide order: increases with every commit, for `$all` and patterns. */
  pos: positive,
  /** The transaction (one `append`) that wrote it; increments per stream, first is 1. */
  tx: positive,
  /** When the store recorded it, milliseconds since the epoch, by the store's clock. */
  recorded: epochMillis,
});
/** An event as stored and delivered (the `StoredEvent` schema): the producer's event plus its place in the store. */
export interface StoredEvent extends EventInput {
  /** The event's id: the producer's, or the one assigned before it was stored. */
  id: string;
  /** The stream the event belongs to. */
  stream: string;
  /** Dense per stream: the first event of a stream is 1. */
  seq: number;
  /** Store-wide order: increases with every commit, for `$all` and patterns. */
  pos: number;
  /** The transaction (one `append`) that wrote it; increments per stream, first is 1. */
  tx: number;
  /** When the store recorded it, milliseconds since the epoch, by the store's clock. */
  recorded: number;
}

/**
 * What an append expects of its stream: `any` (no check), `none` (the stream must not exist),
 * `exists` (it must), or the seq of the stream's last event (0 means empty, same as `none`).
 */
export const ExpectedVersion = z.union([z.literal('any'), z.literal('none'), z.literal('exists'), uint]);
/** What an append expects of its stream (the `ExpectedVersion` schema). */
export type ExpectedVersion = 'any' | 'none' | 'exists' | number;

/**
 * Where a subscription or read starts. Numbers are seqs when one stream is addressed, and
 * store-wide positions (`pos`) for `$all` and patterns. `after` is exclusive, `at` inclusive,
 * `event` starts right after the event with that id, `time` at the first event recorded at or
 * after that time. `before` (exclusive) is for backward reads.
 */
export const StartPosition = z.union([
  z.literal('start'),
  z.literal('end'),
  z.strictObject({ after: uint }),
  z.strictObject({ at: positive }),
  z.strictObject({ before: positive }),
  z.strictObject({ event: name }),
  z.strictObject({ time: epochMillis }),
]);
/** Where a subscription or read starts (the `StartPosition` schema). */
export type StartPosition =
  | 'start'
  | 'end'
  | { after: number }
  | { at: number }
  | { before: number }
  | { event: string }
  | { time: number };

/** Exact filters: an event passes when its type is in `types` (if given) and its key in `keys`. */
export const EventFilter = z.object({
  types: z.optional(z.array(name).check(z.minLength(1), z.maxLength(1000))),
  keys: z.optional(z.array(name).check(z.minLength(1), z.maxLength(1000))),
});
/** Exact filters (the `EventFilter` schema): an event passes when its type is in `types` (if given) and its key in `keys` (if given). */
export interface EventFilter {
  /** The event types that pass, 1 to 1000 of them. */
  types?: string[];
  /** The keys that pass, 1 to 1000 of them. */
  keys?: string[];
}

/** `cold`: history to the head, then `complete`. `hot`: only new commits. `hot-cold`: history, then live. */
export const SubscriptionMode = z.enum(['cold', 'hot', 'hot-cold']);
/** `cold`: history to the head, then complete. `hot`: only new commits. `hot-cold`: history, then live. */
export type SubscriptionMode = 'cold' | 'hot' | 'hot-cold';

export const ErrorCodeSchema = z.enum(ERROR_CODES);

/**
 * The `code` of a received `error` or `reject`: any string of 1 to 256, since a later revision may
 * add codes and a receiver MUST accept one it does not know (SPEC 7). Typed as the codes this
 * version knows (a plain string schema, so that tools that read schemas see a string); compare,
 * never switch exhaustively.
 */
export const ReceivedErrorCode = z.string().check(z.minLength(1), z.maxLength(256)) as unknown as z.ZodMiniType<ErrorCode, string>;

/** Limits the server enforces, announced in `welcome` and `server-info`. */
export const ServerLimits = z.object({
  /** Largest encoded frame the server accepts, in bytes. */
  maxFrameBytes: positive,
  /** Most events one `append` may carry. */
  maxEventsPerAppend: positive,
  /** Most subscriptions open at once on one connection. */
  maxSubscriptions: positive,
  /** Most credit one subscription may hold. */
  maxCredit: positive,
  /** Most events one `read` returns. */
  maxReadLimit: positive,
});
/** Limits the server enforces (the `ServerLimits` schema), announced in `welcome` and `server-info`. */
export interface ServerLimits {
  /** Largest encoded frame the server accepts, in bytes. */
  maxFrameBytes: number;
  /** Most events one `append` may carry. */
  maxEventsPerAppend: number;
  /** Most subscriptions open at once on one connection. */
  maxSubscriptions: number;
  /** Most credit one subscription may hold. */
  maxCredit: number;
  /** Most events one `read` returns. */
  maxReadLimit: number;
}

// ---- client to server ----

export const HelloFrame = z.object({
  type: z.literal('hello'),
  /** The protocol versions the client speaks. */
  versions: z.array(positive).check(z.minLength(1), z.maxLength(16)),
  token: z.optional(text.check(z.maxLength(8192))),
  /** Free text naming the client library and version, for logs. */
  client: z.optional(text.check(z.maxLength(256))),
});

/** The most event types an append condition may name. */
export const MAX_CONDITION_TYPES = 8;
/** The most keys an append condition may name. */
export const MAX_CONDITION_KEYS = 100;

/**
 * An append's condition (SPEC 5.8.1, the feature `"append-condition"`): the append is made only
 * when no event of `types` (and of `keys`, when given) was stored in `stream` (a selector)
 * after the store-wide position `after`.
 */
export const AppendCondition = z.object({
  stream: StreamSelector,
  types: z.array(name).check(z.minLength(1), z.maxLength(MAX_CONDITION_TYPES)),
  keys: z.optional(z.array(name).check(z.minLength(1), z.maxLength(MAX_CONDITION_KEYS))),
  /** A store-wide position (`pos`), whatever the selector: events at or before it do not count. */
  after: uint,
});
/**
 * An append's condition (the `AppendCondition` schema, SPEC 5.8.1): the append is made only when
 * no event of `types` (and of `keys`, when given) was stored in `stream` after the position `after`.
 */
export interface AppendCondition {
  /** A selector: a stream, a prefix pattern such as `bookings.*`, or `$all`. */
  stream: string;
  /** The event types that would break the condition, 1 to 8. */
  types: string[];
  /** When given, only events of these keys break it, 1 to 100. */
  keys?: string[];
  /** A store-wide position (`pos`), whatever the selector: events at or before it do not count. */
  after: number;
}

export const AppendFrame = z.object({
  type: z.literal('append'),
  id: uint,
  stream: StreamName,
  events: z.array(EventInput).check(z.minLength(1)),
  expected: z.optional(ExpectedVersion),
  /** Opt in to content de-duplication: skip an event whose key's newest event has the same type and data. */
  dedupe: z.optional(z.boolean()),
  /** The client has seen the failure that broke this stream's chain; start a new one. */
  newChain: z.optional(z.boolean()),
  /** Made only when no event matching it was stored after its position (SPEC 5.8.1). */
  condition: z.optional(AppendCondition),
});

export const SubscribeFrame = z.object({
  type: z.literal('subscribe'),
  sub: uint,
  stream: StreamSelector,
  from: z.optional(StartPosition),
  mode: SubscriptionMode,
  credit: uint,
  filter: z.optional(EventFilter),
});

export const CreditFrame = z.object({ type: z.literal('credit'), sub: uint, n: z.number().check(z.int()) });
export const UnsubscribeFrame = z.object({ type: z.literal('unsubscribe'), sub: uint });

export const ReadFrame = z.object({
  type: z.literal('read'),
  id: uint,
  stream: StreamSelector,
  from: z.optional(StartPosition),
  direction: z.optional(z.enum(['forward', 'backward'])),
  limit: z.optional(positive),
  filter: z.optional(EventFilter),
});

export const SurfaceFrame = z.object({ type: z.literal('surface'), id: uint, stream: StreamName });

export const InvalidateFrame = z.object({
  type: z.literal('invalidate'),
  id: uint,
  stream: StreamName,
  tx: positive,
  reason: z.optional(text.check(z.maxLength(1024))),
});

export const StreamsFrame = z.object({
  type: z.literal('streams'),
  id: uint,
  /** Only streams whose name starts with this. */
  prefix: z.optional(z.string().check(z.maxLength(MAX_NAME_LENGTH))),
  /** Only streams whose name sorts after this (for paging). */
  after: z.optional(z.string().check(z.maxLength(MAX_NAME_LENGTH))),
  limit: z.optional(positive),
});

export const InfoFrame = z.object({ type: z.literal('info'), id: uint });

// ---- consumer groups (SPEC 17), served where `welcome.features` has "groups" ----

/** A consumer group's name: 1 to 200 characters, no `*`, not starting with `$`. */
export const GroupName = text.check(z.minLength(1), z.maxLength(200), z.regex(/^[^$*][^*]*$/, 'a group name has no "*" and does not start with "$"'));

/** The most partitions a group may have. */
export const MAX_GROUP_PARTITIONS = 1024;

/** Joins the group `group` as a member and opens subscription `sub` on its deliveries. */
export const ConsumeFrame = z.object({
  type: z.literal('consume'),
  sub: uint,
  group: GroupName,
  /** What the group consumes; fixed when the group is made, and a later consume must name the same. */
  stream: StreamSelector,
  filter: z.optional(EventFilter),
  /** How many partitions events are spread over (by key); fixed when the group is made. @default 16 */
  partitions: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_GROUP_PARTITIONS))),
  /** Where a new group starts: every event of the selector, or only those after its head. @default 'start' */
  from: z.optional(z.enum(['start', 'end'])),
  /** The initial credit, as `subscribe`'s. */
  credit: uint,
  /** The member's identity, kept across reconnects; the server makes one when absent. */
  member: z.optional(name),
  /** Most events delivered to this member and not yet acknowledged. @default 1000 */
  maxUnacked: z.optional(positive.check(z.lte(100_000))),
  /** An event not acknowledged this long after its delivery is delivered again. @default 30000 */
  ackTimeoutMs: z.optional(z.number().check(z.int(), z.gte(100), z.lte(3_600_000))),
  /** After this many deliveries without an ack an event is parked. @default 10 */
  maxDeliveries: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  /** A member silent this long loses its partitions. @default 10000 */
  leaseMs: z.optional(z.number().check(z.int(), z.gte(500), z.lte(600_000))),
});

/**
 * Acknowledges events of one partition, by position (`pos`), cumulatively (`upTo`), or both; one
 * with neither is a bad frame (a rule of the server, SPEC 17.7, like a subscribe's start).
 */
export const AckFrame = z.object({
  type: z.literal('ack'),
  sub: uint,
  part: uint,
  gen: positive,
  /** Positions of events delivered (seqs for a stream selector, store-wide pos otherwise). */
  pos: z.optional(z.array(positive).check(z.minLength(1), z.maxLength(10_000))),
  /** Every event of the partition delivered so far at or below this position. */
  upTo: z.optional(positive),
});

/**
 * Gives one delivered event back: delivered again after `retryMs`, or parked with `park` as the
 * reason; one with both is a bad frame (a rule of the server, SPEC 17.7).
 */
export const NackFrame = z.object({
  type: z.literal('nack'),
  sub: uint,
  part: uint,
  gen: positive,
  pos: positive,
  /** Deliver it again no sooner than this; absent (and no `park`): the server's backoff. */
  retryMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(3_600_000))),
  /** Park it now, with this reason. */
  park: z.optional(text.check(z.minLength(1), z.maxLength(1024))),
});

/** The member gives a partition up: what of it is not acknowledged goes to the next owner. */
export const ReleaseFrame = z.object({ type: z.literal('release'), sub: uint, part: uint, gen: positive });

/** Lists the consumer groups. */
export const GroupsFrame = z.object({ type: z.literal('groups'), id: uint });
/** Describes one group: members, partitions, checkpoints, lag, parked events. */
export const GroupFrame = z.object({ type: z.literal('group'), id: uint, group: GroupName });
/** Delivers the group's parked events to it again. */
export const ReplayParkedFrame = z.object({ type: z.literal('replay-parked'), id: uint, group: GroupName });

// ---- projections (SPEC 18), served where `welcome.features` has "projections" ----

/** A projection's name: 1 to 200 characters, no `*`, not starting with `$` (as a group's name). */
export const ProjectionName = text.check(z.minLength(1), z.maxLength(200), z.regex(/^[^$*][^*]*$/, 'a projection name has no "*" and does not start with "$"'));

/** A key of a projection's state as the server names it: `''` is the one key of an unkeyed projection. */
const ProjectionKey = text.check(z.maxLength(MAX_NAME_LENGTH));

/** The longest a `projection` request may wait for its `atLeast`, in ms. */
export const MAX_PROJECTION_WAIT_MS = 60_000;

/** Lists the projections the server runs. */
export const ProjectionsFrame = z.object({ type: z.literal('projections'), id: uint });

/**
 * Reads one key of a projection's state (`key` absent: `''`, an unkeyed projection's state). With
 * `atLeast`, the answer waits until the projection's checkpoint is at or past that position of its
 * selector, up to `timeoutMs`: read-your-writes between an emit's ack and the read side.
 */
export const ProjectionFrame = z.object({
  type: z.literal('projection'),
  id: uint,
  name: ProjectionName,
  key: z.optional(ProjectionKey),
  /** A position of the projection's selector (a seq for one stream, a pos otherwise) the state must include. */
  atLeast: z.optional(uint),
  /** How long to wait for `atLeast`. @default 5000 */
  timeoutMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(MAX_PROJECTION_WAIT_MS))),
});

/** One page of a projection's state, in key order, keys after `after`. */
export const ProjectionEntriesFrame = z.object({
  type: z.literal('projection-entries'),
  id: uint,
  name: ProjectionName,
  after: z.optional(ProjectionKey),
  /** Most entries in the page; above `limits.maxReadLimit`, that. @default 100 */
  limit: z.optional(positive),
});

/** Opens a watch (subscription `sub`): the projection's changes (of one key, when given) as they commit. */
export const WatchProjectionFrame = z.object({ type: z.literal('watch-projection'), sub: uint, name: ProjectionName, key: z.optional(ProjectionKey) });

/** Starts a projection over from the start of its selector. */
export const RebuildProjectionFrame = z.object({ type: z.literal('rebuild-projection'), id: uint, name: ProjectionName });

/** Keep-alive, sent by either side; the peer answers `pong` with the same nonce. */
export const PingFrame = z.object({ type: z.literal('ping'), nonce: z.optional(uint) });
export const PongFrame = z.object({ type: z.literal('pong'), nonce: z.optional(uint) });

// ---- server to client ----

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  version: positive,
  server: z.string().check(z.minLength(1), z.maxLength(256)),
  /** The keep-alive interval in milliseconds; a peer silent for 3 intervals is dead. */
  heartbeat: positive,
  limits: ServerLimits,
  /**
   * The identity of the store behind the server (SPEC 6.5.1): the same on every connection to
   * any server of that store; another store has another. Absent from servers that predate it.
   */
  store: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  /** Optional parts of the protocol the server serves, such as `"groups"` (SPEC 17). */
  features: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(64))),
});

export const RejectFrame = z.object({
  type: z.literal('reject'),
  code: ReceivedErrorCode,
  message: z.string(),
  versions: z.array(positive),
});

export const AppendedFrame = z.object({
  type: z.literal('appended'),
  id: uint,
  stream: name,
  /** The transaction written; when nothing was written, the transaction of the first event's original. */
  tx: positive,
  /** The seq of each event of the append, in order (the original seq for a duplicate). */
  seqs: z.array(positive),
  /** The store-wide position of each event, in order. */
  positions: z.array(positive),
  /** Indexes of the events that wrote nothing: an id already stored, or a content duplicate. */
  dups: z.optional(z.array(uint)),
});

export const EventsFrame = z.object({ type: z.literal('events'), sub: uint, events: z.array(StoredEvent).check(z.minLength(1)) });

/** One partition of the member, held at generation `gen`; `revoking` while the group wants it back. */
export const AssignedPartition = z.object({ part: uint, gen: positive, revoking: z.optional(z.boolean()) });
export type AssignedPartition = z.infer<typeof AssignedPartition>;

/** The member's partitions now: the first frame of a consume, then again whenever they change. */
export const AssignedFrame = z.object({
  type: z.literal('assigned'),
  sub: uint,
  member: name,
  parts: z.array(AssignedPartition),
});

/** Events of one partition for a group member, in order; `deliveries` counts each one's deliveries. */
export const DeliverFrame = z.object({
  type: z.literal('deliver'),
  sub: uint,
  part: uint,
  gen: positive,
  events: z.array(StoredEvent).check(z.minLength(1)),
  deliveries: z.array(positive),
});

/** One partition of a group as `group-info` describes it. */
export const GroupPartitionInfo = z.object({
  part: uint,
  /** The member holding it, or null while it is free. */
  owner: z.nullable(z.string()),
  gen: uint,
  revoking: z.optional(z.boolean()),
  /** Every event of the partition at or below this position is acknowledged or parked. */
  checkpoint: uint,
  /** The selector's head position. */
  head: uint,
  /** head - checkpoint, in positions (an upper bound of the events left). */
  lag: uint,
  /** Events of the partition parked now. */
  parked: uint,
});
/** One partition of a consumer group (the `GroupPartitionInfo` schema). */
export interface GroupPartitionInfo {
  part: number;
  /** The member holding it, or null while it is free. */
  owner: string | null;
  /** The generation of its assignment. */
  gen: number;
  /** True while the group wants it back from its owner. */
  revoking?: boolean;
  /** Every event of the partition at or below this position is acknowledged or parked. */
  checkpoint: number;
  /** The selector's head position. */
  head: number;
  /** head - checkpoint, in positions (an upper bound of the events left). */
  lag: number;
  /** Events of the partition parked now. */
  parked: number;
}

export const GroupMemberInfo = z.object({
  member: z.string(),
  /** When its lease ends unless renewed, by the clock of the server that renewed it. */
  expires: epochMillis,
  /** The partitions it holds. */
  parts: z.array(uint),
});
/** One member of a consumer group (the `GroupMemberInfo` schema). */
export interface GroupMemberInfo {
  member: string;
  /** When its lease ends unless renewed, by the clock of the server that renewed it. */
  expires: number;
  /** The partitions it holds. */
  parts: number[];
}

/** A group in brief, as `group-list` gives it. */
export const GroupSummary = z.object({
  group: z.string(),
  stream: z.string(),
  filter: z.optional(EventFilter),
  partitions: positive,
  members: uint,
  /** The sum of the partitions' lag. */
  lag: uint,
  parked: uint,
});
/** A consumer group in brief (the `GroupSummary` schema). */
export interface GroupSummary {
  group: string;
  /** Its selector. */
  stream: string;
  filter?: EventFilter;
  partitions: number;
  /** How many members it has now. */
  members: number;
  /** The sum of the partitions' lag. */
  lag: number;
  /** Events parked now, over every partition. */
  parked: number;
}

/** A group in full. */
export const GroupInfo = z.extend(GroupSummary, {
  created: epochMillis,
  head: uint,
  memberList: z.array(GroupMemberInfo),
  partitionList: z.array(GroupPartitionInfo),
});
/** A consumer group in full (the `GroupInfo` schema). */
export interface GroupInfo extends GroupSummary {
  /** When its first member made it. */
  created: number;
  /** The selector's head position. */
  head: number;
  memberList: GroupMemberInfo[];
  partitionList: GroupPartitionInfo[];
}

export const GroupListFrame = z.object({ type: z.literal('group-list'), id: uint, groups: z.array(GroupSummary) });
export const GroupInfoFrame = z.object({ type: z.literal('group-info'), id: uint, group: GroupInfo });
/** A replay of parked events began: `parked` events were parked when it was asked for. */
export const ReplayingFrame = z.object({ type: z.literal('replaying'), id: uint, group: z.string(), parked: uint });

/** A projection as `projection-list` describes it. */
export const ProjectionSummary = z.object({
  name: z.string(),
  /** Its selector: a stream, a prefix pattern or `$all`. */
  stream: z.string(),
  /** True when its state is one value per key; false when it is one value (under the key `''`). */
  keyed: z.boolean(),
  status: z.enum(['running', 'failed', 'rebuilding']),
  /** Why it failed, when it did. */
  error: z.optional(z.string()),
  /** Every event of its selector at or below this position is in its state. */
  checkpoint: uint,
  /** The selector's head, and how far the checkpoint is behind it. */
  head: uint,
  lag: uint,
});
/** A server-side projection in brief (the `ProjectionSummary` schema). */
export interface ProjectionSummary {
  name: string;
  /** Its selector: a stream, a prefix pattern or `$all`. */
  stream: string;
  /** True when its state is one value per key; false when it is one value (under the key `''`). */
  keyed: boolean;
  status: 'running' | 'failed' | 'rebuilding';
  /** Why it failed, when it did. */
  error?: string;
  /** Every event of its selector at or below this position is in its state. */
  checkpoint: number;
  /** The selector's head. */
  head: number;
  /** How far the checkpoint is behind the head. */
  lag: number;
}

/** One key's value of a projection's state. */
export const ProjectionEntry = z.object({ key: z.string(), value: z.unknown().check(z.refine((value): boolean => value !== undefined, 'an entry has a value')) });
/** One key's value of a projection's state (the `ProjectionEntry` schema). */
export interface ProjectionEntry {
  key: string;
  value: unknown;
}

export const ProjectionListFrame = z.object({ type: z.literal('projection-list'), id: uint, projections: z.array(ProjectionSummary) });

/** The answer to `projection`: the key's value (absent, and `found` false, when it has none) as of `checkpoint`. */
export const ProjectionStateFrame = z.object({
  type: z.literal('projection-state'),
  id: uint,
  name: z.string(),
  key: z.string(),
  value: z.optional(z.unknown()),
  found: z.boolean(),
  checkpoint: uint,
});

/** The answer to `projection-entries`; `next` is the `after` of the next page, null when none follows. */
export const ProjectionPageFrame = z.object({
  type: z.literal('projection-page'),
  id: uint,
  name: z.string(),
  entries: z.array(ProjectionEntry),
  next: z.nullable(z.string()),
  checkpoint: uint,
});

/** A watch started: every change committed after `checkpoint` follows. */
export const ProjectionWatchingFrame = z.object({ type: z.literal('projection-watching'), sub: uint, name: z.string(), checkpoint: uint });

/** One committed change of a watched projection: the key's new value, absent when it was removed. */
export const ProjectionChangedFrame = z.object({
  type: z.literal('projection-changed'),
  sub: uint,
  name: z.string(),
  key: z.string(),
  value: z.optional(z.unknown()),
  checkpoint: uint,
});

/** The answer to `rebuild-projection`: its state was reset, and it runs again from the start of its selector. */
export const ProjectionRebuildingFrame = z.object({ type: z.literal('projection-rebuilding'), id: uint, name: z.string() });

/** The subscription reached the head. `at` is the last position it has examined (0 if none). */
export const CaughtUpFrame = z.object({ type: z.literal('caught-up'), sub: uint, at: uint });
/** A live subscription is more than the server's threshold behind the head and reads history again. */
export const FellBehindFrame = z.object({ type: z.literal('fell-behind'), sub: uint, at: uint });
/** A cold subscription delivered everything up to its head; nothing more will come. */
export const CompleteFrame = z.object({ type: z.literal('complete'), sub: uint });

export const PageFrame = z.object({
  type: z.literal('page'),
  id: uint,
  events: z.array(StoredEvent),
  /** Where the next page starts, or null when this page reached the end. */
  next: z.nullable(StartPosition),
});

export const StreamSummary = z.object({
  stream: name,
  /** The seq of the stream's last event (its version). */
  head: uint,
  /** How many events it holds. */
  count: uint,
  /** The last transaction written to it. */
  tx: uint,
  /** The store-wide position of its last event. */
  lastPos: uint,
  /** When its last event was recorded. */
  lastRecorded: epochMillis,
});
/** What a store knows of one stream (the `StreamSummary` schema). */
export interface StreamSummary {
  stream: string;
  /** The seq of the stream's last event (its version). */
  head: number;
  /** How many events it holds. */
  count: number;
  /** The last transaction written to it. */
  tx: number;
  /** The store-wide position of its last event. */
  lastPos: number;
  /** When its last event was recorded. */
  lastRecorded: number;
}

export const StreamListFrame = z.object({
  type: z.literal('stream-list'),
  id: uint,
  streams: z.array(StreamSummary),
  /** Pass as `after` for the next page, or null when this was the last. */
  next: z.nullable(z.string()),
});

export const ServerInfoFrame = z.object({
  type: z.literal('server-info'),
  id: uint,
  server: z.string(),
  version: positive,
  versions: z.array(positive),
  stores: z.array(z.string()),
  heartbeat: positive,
  limits: ServerLimits,
  /** The store-wide position of the newest event (0 when empty). */
  head: uint,
  /** The store's identity, as in `welcome`. */
  store: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  /** As in `welcome`. */
  features: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(64))),
  /** How many consumer groups the store keeps, where it keeps them. */
  groups: z.optional(uint),
  /**
   * The server-side projections the server runs (SPEC 18), those whose selector the session may
   * read: each one's status, and its error when it failed.
   */
  projections: z.optional(
    z.array(
      z.object({
        name: z.string(),
        stream: z.string(),
        status: z.enum(['running', 'failed', 'rebuilding']),
        error: z.optional(z.string()),
        checkpoint: uint,
        lag: uint,
      }),
    ),
  ),
});

/** A request (`id`) or a subscription (`sub`) failed; a subscription error ends the subscription. */
export const ErrorFrame = z.object({
  type: z.literal('error'),
  id: z.optional(uint),
  sub: z.optional(uint),
  code: ReceivedErrorCode,
  message: z.string(),
  details: z.optional(z.record(z.string(), z.unknown())),
});

/** Every frame a client may send. */
export const ClientFrame = z.discriminatedUnion('type', [
  HelloFrame,
  AppendFrame,
  SubscribeFrame,
  CreditFrame,
  UnsubscribeFrame,
  ReadFrame,
  SurfaceFrame,
  InvalidateFrame,
  StreamsFrame,
  InfoFrame,
  ConsumeFrame,
  AckFrame,
  NackFrame,
  ReleaseFrame,
  GroupsFrame,
  GroupFrame,
  ReplayParkedFrame,
  ProjectionsFrame,
  ProjectionFrame,
  ProjectionEntriesFrame,
  WatchProjectionFrame,
  RebuildProjectionFrame,
  PingFrame,
  PongFrame,
]);

/** Every frame a server may send. */
export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  RejectFrame,
  AppendedFrame,
  EventsFrame,
  CaughtUpFrame,
  FellBehindFrame,
  CompleteFrame,
  PageFrame,
  StreamListFrame,
  ServerInfoFrame,
  AssignedFrame,
  DeliverFrame,
  GroupListFrame,
  GroupInfoFrame,
  ReplayingFrame,
  ProjectionListFrame,
  ProjectionStateFrame,
  ProjectionPageFrame,
  ProjectionWatchingFrame,
  ProjectionChangedFrame,
  ProjectionRebuildingFrame,
  ErrorFrame,
  PingFrame,
  PongFrame,
]);

/** Every frame of protocol v1, either direction (`ping` and `pong` go both ways). */
export const Frame = z.discriminatedUnion('type', [
  ...ClientFrame.def.options,
  ...ServerFrame.def.options.filter((option) => option !== PingFrame && option !== PongFrame),
]);

export type HelloFrame = z.infer<typeof HelloFrame>;
export type AppendFrame = z.infer<typeof AppendFrame>;
export type SubscribeFrame = z.infer<typeof SubscribeFrame>;
export type CreditFrame = z.infer<typeof CreditFrame>;
export type UnsubscribeFrame = z.infer<typeof UnsubscribeFrame>;
export type ReadFrame = z.infer<typeof ReadFrame>;
export type SurfaceFrame = z.infer<typeof SurfaceFrame>;
export type InvalidateFrame = z.infer<typeof InvalidateFrame>;
export type StreamsFrame = z.infer<typeof StreamsFrame>;
export type InfoFrame = z.infer<typeof InfoFrame>;
export type PingFrame = z.infer<typeof PingFrame>;
export type PongFrame = z.infer<typeof PongFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type RejectFrame = z.infer<typeof RejectFrame>;
export type AppendedFrame = z.infer<typeof AppendedFrame>;
export type EventsFrame = z.infer<typeof EventsFrame>;
export type CaughtUpFrame = z.infer<typeof CaughtUpFrame>;
export type FellBehindFrame = z.infer<typeof FellBehindFrame>;
export type CompleteFrame = z.infer<typeof CompleteFrame>;
export type PageFrame = z.infer<typeof PageFrame>;
export type StreamListFrame = z.infer<typeof StreamListFrame>;
export type ServerInfoFrame = z.infer<typeof ServerInfoFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type ConsumeFrame = z.infer<typeof ConsumeFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type NackFrame = z.infer<typeof NackFrame>;
export type ReleaseFrame = z.infer<typeof ReleaseFrame>;
export type GroupsFrame = z.infer<typeof GroupsFrame>;
export type GroupFrame = z.infer<typeof GroupFrame>;
export type ReplayParkedFrame = z.infer<typeof ReplayParkedFrame>;
export type AssignedFrame = z.infer<typeof AssignedFrame>;
export type DeliverFrame = z.infer<typeof DeliverFrame>;
export type GroupListFrame = z.infer<typeof GroupListFrame>;
export type GroupInfoFrame = z.infer<typeof GroupInfoFrame>;
export type ReplayingFrame = z.infer<typeof ReplayingFrame>;
export type ProjectionsFrame = z.infer<typeof ProjectionsFrame>;
export type ProjectionFrame = z.infer<typeof ProjectionFrame>;
export type ProjectionEntriesFrame = z.infer<typeof ProjectionEntriesFrame>;
export type WatchProjectionFrame = z.infer<typeof WatchProjectionFrame>;
export type RebuildProjectionFrame = z.infer<typeof RebuildProjectionFrame>;
export type ProjectionListFrame = z.infer<typeof ProjectionListFrame>;
export type ProjectionStateFrame = z.infer<typeof ProjectionStateFrame>;
export type ProjectionPageFrame = z.infer<typeof ProjectionPageFrame>;
export type ProjectionWatchingFrame = z.infer<typeof ProjectionWatchingFrame>;
export type ProjectionChangedFrame = z.infer<typeof ProjectionChangedFrame>;
export type ProjectionRebuildingFrame = z.infer<typeof ProjectionRebuildingFrame>;
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ServerFrame = z.infer<typeof ServerFrame>;
export type Frame = z.infer<typeof Frame>;

/** The `type` a frame schema admits: the value of its `type` literal. */
export function typeOfFrameSchema(schema: { readonly shape: { readonly type: z.ZodMiniLiteral<string> } }): string {
  return schema.shape.type.def.values[0]!;
}

/** The `type` of every frame of protocol v1. */
export const FRAME_TYPES: readonly string[] = Frame.def.options.map(typeOfFrameSchema);
