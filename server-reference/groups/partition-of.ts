import type { StoredEvent } from '../../protocol/frames.js';

const FNV_OFFSET_BASIS = 2166136261;
const FNV_PRIME = 16777619;
const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (SPEC 17.4). */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  // ASCII, the common case, is its own UTF-8: no encoding needed.
  let ascii = true;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) {
      ascii = false;
      break;
    }
    hash = Math.imul(hash ^ unit, FNV_PRIME);
  }
  if (ascii) return hash >>> 0;
  const bytes = utf8.encode(text);
  return fnv1a32Bytes(bytes, 0, bytes.length);
}

/** FNV-1a, 32 bits, over `bytes[from, to)`. */
export function fnv1a32Bytes(bytes: Uint8Array, from: number, to: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = from; i < to; i += 1) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return hash >>> 0;
}

/** The partition of a group with `partitions` partitions that an event belongs to: by its key, or its stream when it has none. */
export function partitionOf(event: Pick<StoredEvent, 'key' | 'stream'>, partitions: number): number {
  return fnv1a32(event.key ?? event.stream) % partitions;
}
