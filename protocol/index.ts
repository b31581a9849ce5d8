/**
 * Tauon's wire protocol, version 1: frame schemas, codecs, error codes and the protocol version.
 * Runtime-neutral: it runs in Node and in browsers.
 * @module tauon/protocol
 */
export * from './version.js';
export * from './error-codes.js';
export * from './errors.js';
export * from './frames.js';
export * from './codec.js';
export { jsonCodec } from './json-codec.js';
export { msgpackCodec, unpackMultiplePlain, unpackPlain } from './msgpack-codec.js';
export { MAX_DATA_DEPTH, isWellFormedText } from './data-limits.js';
export * from './validate.js';
export * from './decode-client-frame.js';
export { newEventId } from './event-id.js';
export * from './cloudevents.js';
export * from './cloudevents-input.js';
