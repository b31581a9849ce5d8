import * as z from 'zod';

/*
 * The discovery messages that servers publish on the discovery exchange, and the one place that
 * decides what a valid one is. Both sides use this file: the announcer checks what it is about to
 * send, the directory checks what it received (and ignores what fails, never throws).
 */

/** The exchange servers announce themselves on when none is named. */
export const DEFAULT_DISCOVERY_EXCHANGE = 'tauon.discovery';

/** How often a server announces itself when no interval is given, in ms. */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 2_000;

/** An entry expires after this many of its own intervals without an announcement. */
export const EXPIRY_INTERVALS = 3;

/** The content type of every discovery message: a JSON object, UTF-8. */
export const DISCOVERY_CONTENT_TYPE = 'application/json';

/** The largest discovery message body a directory reads; bigger ones are ignored unparsed. */
export const MAX_DISCOVERY_MESSAGE_BYTES = 64 * 1024;

/** Bounds of an announced interval: below the lower one, expiry timers would spin. */
export const MIN_ANNOUNCE_INTERVAL_MS = 10;
/** One hour: an entry then lives at most three hours without news. */
export const MAX_ANNOUNCE_INTERVAL_MS = 3_600_000;

const MAX_TEXT_LENGTH = 256;
const MAX_LIST_LENGTH = 64;

const text = z.string().min(1).max(MAX_TEXT_LENGTH);
const positive = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const epochMillis = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * What a server says about itself on the discovery exchange. Unknown fields are dropped, so a
 * later revision can add optional ones without older directories ignoring the whole message.
 */
export const ServerAnnouncementSchema = z.object({
  /** A human-readable name; several servers of one deployment may share it. */
  name: text,
  /** The server id of `welcome`; servers of one store may share it (SPEC 6.5.1). */
  id: text,
  /**
   * Unique per running server process (the announcer makes one): the key a directory keeps
   * entries by, so that servers sharing an id are listed apart. Absent from older announcers,
   * whose `id` is then the key.
   */
  instance: text.optional(),
  /** The service queue clients connect to, to reach this server. */
  service: text,
  /** The protocol version the server prefers. */
  protocolVersion: positive,
  /** Every protocol version the server can speak. */
  versions: z.array(positive).min(1).max(MAX_LIST_LENGTH),
  /** The kinds of event store the server runs (`memory`, `lmdb`, ...). */
  stores: z.array(text).max(MAX_LIST_LENGTH),
  /** How often the server announces itself, in ms; directories expire it after 3 of these. */
  intervalMs: z.number().int().min(MIN_ANNOUNCE_INTERVAL_MS).max(MAX_ANNOUNCE_INTERVAL_MS),
  /** When the server sent this announcement, in ms since 1970-01-01T00:00:00Z (its clock). */
  announcedAt: epochMillis,
});

/** A live server as announced on the discovery exchange. */
export interface ServerAnnouncement {
  /** A human-readable name; several servers of one deployment may share it. */
  name: string;
  /** The server id of `welcome`; servers of one store may share it (SPEC 6.5.1). */
  id: string;
  /** Unique per running server process: the key a directory keeps entries by (its `id` when absent). */
  instance?: string;
  /** The service queue clients connect to, to reach this server. */
  service: string;
  /** The protocol version the server prefers. */
  protocolVersion: number;
  /** Every protocol version the server can speak. */
  versions: number[];
  /** The kinds of event store the server runs (`memory`, `lmdb`, ...). */
  stores: string[];
  /** How often the server announces itself, in ms; directories expire it after 3 of these. */
  intervalMs: number;
  /** When the server sent this announcement, in ms since 1970-01-01T00:00:00Z (its clock). */
  announcedAt: number;
}

/** A server saying it is alive: the announcement's fields and `kind: "announce"`. */
const AnnounceMessageSchema = ServerAnnouncementSchema.extend({ kind: z.literal('announce') });

/** A server saying it is leaving, so that directories drop it at once instead of expiring it. */
const GoodbyeMessageSchema = z.object({ kind: z.literal('goodbye'), id: text, instance: text.optional() });

/** Every message of the discovery exchange, told apart by `kind`. */
export const DiscoveryMessageSchema = z.discriminatedUnion('kind', [AnnounceMessageSchema, GoodbyeMessageSchema]);

/** One message of the discovery exchange, as {@link parseDiscoveryMessage} returns it. */
export type DiscoveryMessage =
  | { readonly kind: 'announce'; readonly announcement: ServerAnnouncement }
  | { readonly kind: 'goodbye'; readonly id: string; readonly instance?: string };

/** The body of an announcement message. */
export function encodeAnnouncement(announcement: ServerAnnouncement): Buffer {
  return Buffer.from(JSON.stringify({ kind: 'announce', ...announcement }), 'utf8');
}

/** The body of a goodbye message for the server `id` (and its `instance`, when it announced one). */
export function encodeGoodbye(id: string, instance?: string): Buffer {
  return Buffer.from(JSON.stringify({ kind: 'goodbye', id, ...(instance === undefined ? {} : { instance }) }), 'utf8');
}

/** The key a directory keeps a server by: its instance, or its id when it announced none. */
export function directoryKey(message: { readonly id: string; readonly instance?: string | undefined }): string {
  return message.instance === undefined ? `id:${message.id}` : `instance:${message.instance}`;
}

/**
 * Reads one message body from the discovery exchange.
 * @returns the message, or `undefined` when it is too large, not JSON, or not a valid discovery
 *   message: the caller ignores it. Never throws.
 */
export function parseDiscoveryMessage(body: Uint8Array): DiscoveryMessage | undefined {
  if (body.byteLength > MAX_DISCOVERY_MESSAGE_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = DiscoveryMessageSchema.safeParse(json);
  if (!parsed.success) return undefined;
  if (parsed.data.kind === 'goodbye') {
    const { id, instance } = parsed.data;
    return { kind: 'goodbye', id, ...(instance === undefined ? {} : { instance }) };
  }
  const { kind: _kind, ...announcement } = parsed.data;
  return { kind: 'announce', announcement };
}
