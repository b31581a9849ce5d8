/**
 * The names and rules of the AMQP binding (protocol/SPEC.md, section 15.2): message types, header
 * names, content types, queue names, and how a close travels. Both sides of the transport read
 * them from here, so the spec and the code have one place to agree.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { closeFrameReason, isSendableCloseCode } from '../ws/close-frame.js';

/** The `type` property of the binding's own messages. Frames carry no `type`. */
export const MessageTypes = {
  /** Client to the service queue: open a session; `reply_to` names the client's reply queue. */
  connect: 'tauon.connect',
  /** Server to the reply queue: the session is open; `reply_to` names its session queue. */
  accept: 'tauon.accept',
  /** Either side to the peer's queue: the session is closed; the headers carry code and reason. */
  close: 'tauon.close',
  /** A side to its own queue, after a returned message: everything the peer sent is in. */
  flush: 'tauon.flush',
} as const;

/** Header names of a close message. */
export const CloseHeaders = {
  /** The close code (section 10), an integer. */
  code: 'tauon-close-code',
  /** The close reason, a string of at most 123 bytes of UTF-8. */
  reason: 'tauon-close-reason',
} as const;

/** `content_type` of a frame, by its codec. */
export const ContentTypes = {
  json: 'application/json',
  msgpack: 'application/msgpack',
} as const;

/** The service queue's name when none is given. */
export const DEFAULT_SERVICE = 'tauon';

/** The first byte of a JSON frame (section 3). */
const JSON_FIRST_BYTE = 0x7b;

/** The `content_type` of one encoded frame: JSON when it starts with `{`, else msgpack. */
export function contentTypeOf(frame: Uint8Array): (typeof ContentTypes)[keyof typeof ContentTypes] {
  return frame[0] === JSON_FIRST_BYTE ? ContentTypes.json : ContentTypes.msgpack;
}

/** A fresh name for a client's reply queue of `service`. */
export function replyQueueName(service: string): string {
  return `${service}.reply.${randomUUID()}`;
}

/** A fresh name for a server's session queue of `service`. */
export function sessionQueueName(service: string): string {
  return `${service}.session.${randomUUID()}`;
}

/** A close as it travels: what may be sent, by the same rules as a WebSocket close frame. */
export interface SentClose {
  readonly code: number;
  readonly reason: string;
}

/**
 * The code and reason a close message carries for `code` and `reason`: codes a WebSocket close
 * frame may not carry (1005, 1006, 1015, out of range) become 1000, and the reason is cut to
 * 123 bytes, so a peer sees the same close over amqp as over ws.
 */
export function sendableClose(code: number, reason: string): SentClose {
  return { code: isSendableCloseCode(code) ? code : 1000, reason: closeFrameReason(reason) };
}

/** The headers of a close message. */
export function closeHeaders(close: SentClose): Record<string, unknown> {
  return { [CloseHeaders.code]: close.code, [CloseHeaders.reason]: close.reason };
}

/**
 * The code and reason of a received close message. A code that is missing or not an integer
 * (also as a numeric string, for peers whose AMQP library sends header values as strings) reads
 * as 1000; a missing reason as ''.
 */
export function closeOfHeaders(headers: Readonly<Record<string, unknown>> | undefined): SentClose {
  const rawCode: unknown = headers?.[CloseHeaders.code];
  const rawReason: unknown = headers?.[CloseHeaders.reason];
  const code = typeof rawCode === 'string' ? Number(rawCode) : rawCode;
  const reason =
    typeof rawReason === 'string' ? rawReason : Buffer.isBuffer(rawReason) ? rawReason.toString('utf8') : '';
  return { code: typeof code === 'number' && Number.isInteger(code) ? code : 1000, reason };
}

/** The parts of a received message the binding reads. */
export interface ReceivedProperties {
  readonly type?: unknown;
  readonly replyTo?: unknown;
  readonly correlationId?: unknown;
}

/** A valid connect request. */
export interface ConnectRequest {
  /** The client's reply queue. */
  readonly replyTo: string;
  /** Echoed on the accept, when the client sent one. */
  readonly correlationId: string | undefined;
}

/**
 * Reads a message from the service queue: a connect request, or why it is not one (it is then
 * rejected without requeue).
 */
export function readConnectRequest(properties: ReceivedProperties): ConnectRequest | { readonly invalid: string } {
  if (properties.type !== MessageTypes.connect) {
    return { invalid: `type is ${JSON.stringify(properties.type ?? null)}, not "${MessageTypes.connect}"` };
  }
  if (typeof properties.replyTo !== 'string' || properties.replyTo === '') {
    return { invalid: 'no reply_to' };
  }
  const correlationId = typeof properties.correlationId === 'string' ? properties.correlationId : undefined;
  return { replyTo: properties.replyTo, correlationId };
}
