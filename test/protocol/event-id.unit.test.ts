import { describe, expect, it } from 'vitest';
import { newEventId } from '../../protocol/event-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('event ids the client assigns', () => {
  it('are UUIDv7 carrying the current time', () => {
    const before = Date.now();
    const id = newEventId();
    expect(id).toMatch(UUID_V7);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('increase strictly and never repeat, also far beyond 4,096 in one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });
});
