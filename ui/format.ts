/** Pieces of text the screens show. Event data is always shown as text, never as HTML. */

/** How long a preview of an event's data may be, in characters. */
const PREVIEW_CHARS = 120;

/** A time as the page shows it: ISO 8601 in UTC, to the millisecond. */
export function formatTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

/** How long ago a time was, in the largest whole unit ("12 s ago", "3 h ago"). */
export function formatAge(epochMillis: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - epochMillis) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** One line of an event's data as JSON, cut to a preview. */
export function previewData(data: unknown): string {
  if (data === undefined) return '';
  const text = prettyJson(data, 0);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** JSON text of a value; byte arrays (msgpack's binary data) as their length, which JSON cannot carry. */
export function prettyJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Uint8Array ? `<${inner.byteLength} bytes>` : inner), indent) ?? '';
}

/** A comma-separated list, trimmed, empty entries left out. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
