import { readFileSync } from 'node:fs';
import { CloudEvent, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  cloudEventSource,
  cloudEventToEventInput,
  cloudEventToStoredEvent,
  parseCloudEventSource,
  parseRfc3339,
  rfc3339,
  toCloudEvent,
  type StoredEvent,
  type TauonError,
} from '../../protocol/index.js';

/*
 * The CloudEvents mapping of SPEC 5.10 in both directions, with the official SDK (cloudevents
 * v10) as the judge: every CloudEvent Tauon makes passes its validation, and every CloudEvent
 * it makes maps as the spec says.
 */

interface Vector { readonly name: string; readonly frame: { readonly events?: StoredEvent[] } }
const vectors = JSON.parse(readFileSync(new URL('../../protocol/vectors/valid.json', import.meta.url), 'utf8')) as Vector[];
const golden = vectors.find((vector) => vector.name === 'events: several streams, every optional field')!.frame.events!;

/** True when the SDK takes the CloudEvent: its strict constructor and its validate(). */
function sdkAccepts(cloudEvent: object): boolean {
  try {
    return new CloudEvent(cloudEvent).validate();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof TypeError) return false;
    throw error;
  }
}

const stored = (fields: Partial<StoredEvent> = {}): StoredEvent => ({
  id: 'e-1', type: 'T', stream: 'orders.1', seq: 1, pos: 1, tx: 1, recorded: 1700000000123, ...fields,
});

/** A deterministic pseudo-random generator, so that a failure can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('toCloudEvent (SPEC 5.10)', () => {
  it('maps the golden event exactly as the spec shows, and the SDK validates it', () => {
    const cloudEvent = toCloudEvent(golden[0]!, 'tauon-1');
    expect(cloudEvent).toEqual({
      specversion: '1.0',
      id: '0b6f7a52-2c1e-4b8e-9a57-2f0d3c1e9b11',
      source: 'tauon:tauon-1/orders.42',
      type: 'OrderPlaced',
      time: '2023-11-14T22:13:20.000Z',
      subject: 'order-42',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schemas/order-placed/1',
      data: { total: 12.5, currency: 'EUR', lines: [{ sku: 'tea', qty: 2 }] },
      sequence: '0000000000000001',
      partitionkey: 'order-42',
      tauonpos: '101',
      tauontx: '1',
      tauonrecorded: '2023-11-14T22:13:20.123Z',
      causationid: 'cmd-7',
      correlationid: 'session-3',
      tenant: 'acme',
    });
    for (const event of golden) expect(sdkAccepts(toCloudEvent(event, 'tauon-1'))).toBe(true);
    // The judge judges: what the mapping avoids, the SDK refuses.
    expect(sdkAccepts({ ...cloudEvent, source: 'tauon:tauon-1/café 1' })).toBe(false);
    expect(sdkAccepts({ ...cloudEvent, 'user-agent': 'shop/2.1' })).toBe(false);
    expect(sdkAccepts({ ...cloudEvent, dataschema: 'order-placed/1' })).toBe(false);
    expect(sdkAccepts({ ...cloudEvent, time: '2023-11-14 22:13' })).toBe(false);
  });

  it('percent-encodes the source as the spec examples show, and decodes it back', () => {
    expect(cloudEventSource('tauon-1', 'tenant-1/prices:EUR')).toBe('tauon:tauon-1/tenant-1%2Fprices%3AEUR');
    expect(cloudEventSource('tauon-1', 'café.订单')).toBe('tauon:tauon-1/caf%C3%A9.%E8%AE%A2%E5%8D%95');
    expect(cloudEventSource('a b', '..')).toBe('tauon:a%20b/%2E%2E');
    expect(cloudEventSource('x', "it's (1)*!")).toBe('tauon:x/it%27s%20%281%29%2A%21');
    expect(parseCloudEventSource('tauon:a%20b/%2E%2E')).toEqual({ serverId: 'a b', stream: '..' });
    expect(parseCloudEventSource('https://example.com/x')).toBeUndefined();
    expect(parseCloudEventSource('tauon:a/b%ZZ')).toBeUndefined();
  });

  it('makes a source the SDK takes and that decodes to the stream, for 2000 random stream and server names', () => {
    const next = random(19);
    // Spaces, dots, slashes, percent signs, control characters, accents, CJK, emoji, noncharacters.
    const alphabet = [' ', '.', '/', '%', ':', '#', '?', '\t', '\u007f', 'é', '订', '😀', '\uFFFE', 'a', 'Z', '0', '~', '+', '[', '"'];
    for (let run = 0; run < 2000; run++) {
      const name = (length: number) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const stream = name(1 + Math.floor(next() * 12));
      const serverId = name(1 + Math.floor(next() * 4));
      const cloudEvent = toCloudEvent(stored({ stream }), serverId);
      expect(sdkAccepts(cloudEvent), `${JSON.stringify(stream)} on ${JSON.stringify(serverId)}`).toBe(true);
      expect(parseCloudEventSource(cloudEvent.source)).toEqual({ serverId, stream });
    }
  });

  it('writes times as Date.prototype.toISOString does, for 100000 random times and the edges', () => {
    const next = random(7);
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    const times = [...edges, ...Array.from({ length: 100_000 }, () => Math.floor(next() * Date.UTC(9999, 11, 31, 23, 59, 59, 999)))];
    for (const ms of times) expect(rfc3339(ms), String(ms)).toBe(new Date(ms).toISOString());
    expect(rfc3339(Date.UTC(10000, 0, 1))).toBeUndefined();
  });

  it('pads sequence to 16 digits, so that string order is numeric order up to 2^53 - 1', () => {
    const seqs = [1, 9, 10, 99, 100, 123456789, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER];
    const sequences = seqs.map((seq) => toCloudEvent(stored({ seq }), 's').sequence);
    expect(sequences.at(-1)).toBe('9007199254740991');
    expect([...sequences].sort()).toEqual(sequences);
    const biggest = toCloudEvent(stored({ seq: Number.MAX_SAFE_INTEGER, pos: Number.MAX_SAFE_INTEGER, tx: Number.MAX_SAFE_INTEGER }), 's');
    expect([biggest.tauonpos, biggest.tauontx]).toEqual(['9007199254740991', '9007199254740991']);
    expect(sdkAccepts(biggest)).toBe(true);
  });

  it('puts an absolute-URI schema in dataschema and any other in tauonschema; the SDK takes both', () => {
    const uris = ['https://example.com/s/1', 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', 'http://a:8080/x?y=1', 'mailto:a@b.c', 'tag:x.com,2024:s'];
    const others = ['order-placed/1', '/schemas/1', 'https://example.com/s#v1', 'http://a:b:c/', 'https://ex ample.com', 'https://é.com/s', 'http://[::1]/s', 'x:%zz', '1:x'];
    for (const schema of uris) {
      const cloudEvent = toCloudEvent(stored({ schema }), 's');
      expect(cloudEvent.dataschema, schema).toBe(schema);
      expect(sdkAccepts(cloudEvent), schema).toBe(true);
    }
    for (const schema of others) {
      const cloudEvent = toCloudEvent(stored({ schema }), 's');
      expect([cloudEvent.dataschema, cloudEvent.tauonschema], schema).toEqual([undefined, schema]);
      expect(sdkAccepts(cloudEvent), schema).toBe(true);
    }
  });

  it('leaves out meta entries the SDK would refuse, and optional Strings CloudEvents cannot hold', () => {
    const cloudEvent = toCloudEvent(
      stored({
        key: 'line\nbreak',
        causation: 'bell\u0007',
        correlation: 'ok',
        meta: { tenant: 'acme', 'user-agent': 'x', Upper: 'x', abcdefghijklmnopqrstu: 'x', data: 'x', sequence: 'x', tauonpos: 'x', bad: '\u0085', fine: '' },
      }),
      's',
    );
    expect(cloudEvent).not.toHaveProperty('subject');
    expect(cloudEvent).not.toHaveProperty('partitionkey');
    expect(cloudEvent).not.toHaveProperty('causationid');
    expect(cloudEvent['correlationid']).toBe('ok');
    const extensions = Object.keys(cloudEvent).filter((name) => !['specversion', 'id', 'source', 'type', 'sequence', 'tauonpos', 'tauontx', 'tauonrecorded', 'correlationid'].includes(name));
    expect(extensions.sort()).toEqual(['fine', 'tenant']);
    expect(cloudEvent.sequence).toBe('0000000000000001');
    expect(sdkAccepts(cloudEvent)).toBe(true);
  });

  it('reports an event whose id or type CloudEvents cannot hold, or whose data JSON cannot carry, as unrepresentable', () => {
    for (const fields of [{ id: 'a\u0000' }, { type: 'T\uFDD0' }, { data: new Uint8Array([1]) }, { data: { n: 2n ** 60n } }, { recorded: Date.UTC(10000, 0, 1) }]) {
      expect(() => toCloudEvent(stored({ ...fields, seq: 3, pos: 7 }), 's')).toThrow(
        expect.objectContaining({ code: 'unrepresentable', details: { stream: 'orders.1', seq: 3, pos: 7 } }) as Error,
      );
    }
    // A time past the year 9999 has no RFC 3339 form: it is left out, as an absent time.
    const late = toCloudEvent(stored({ time: Date.UTC(10000, 0, 1) }), 's');
    expect(late).not.toHaveProperty('time');
    expect(sdkAccepts(late)).toBe(true);
  });
});

describe('from a CloudEvent (SPEC 5.10)', () => {
  it('maps an SDK-made CloudEvent to the event to append', () => {
    const made = new CloudEvent({
      id: 'ce-1',
      source: 'https://shop.example/orders',
      type: 'com.example.order.placed',
      subject: 'order-9',
      time: '2024-02-29T12:00:00.123456+01:00',
      dataschema: 'https://example.com/s/1',
      data: { total: 3 },
      causationid: 'cmd-1',
      correlationid: 'flow-1',
      tenant: 'acme',
      priority: 5,
      urgent: true,
      sequence: '42',
      tauonpos: '7',
    });
    expect(cloudEventToEventInput(made.toJSON())).toEqual({
      id: 'ce-1',
      type: 'com.example.order.placed',
      key: 'order-9',
      time: Date.UTC(2024, 1, 29, 11, 0, 0, 123),
      schema: 'https://example.com/s/1',
      data: { total: 3 },
      causation: 'cmd-1',
      correlation: 'flow-1',
      meta: { tenant: 'acme', priority: '5', urgent: 'true', cesource: 'https://shop.example/orders' },
    });
  });

  it('takes partitionkey as the key and keeps a differing subject and an earlier cesource', () => {
    const input = cloudEventToEventInput({ specversion: '1.0', id: 'x', source: 'tauon:t/s', type: 'T', subject: 'file.jpg', partitionkey: 'tenant-1', cesource: 'https://first' });
    expect(input).toEqual({ id: 'x', type: 'T', key: 'tenant-1', meta: { cesubject: 'file.jpg', cesource: 'https://first' } });
  });

  it('refuses what Tauon cannot take with bad-frame naming the attribute', () => {
    const base = { specversion: '1.0', id: 'x', source: 's', type: 'T' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, specversion: undefined }, 'specversion'],
      [{ ...base, specversion: '0.3' }, 'specversion'],
      [{ ...base, id: undefined }, 'id'],
      [{ ...base, id: '' }, 'id'],
      [{ ...base, source: undefined }, 'source'],
      [{ ...base, type: 5 }, 'type'],
      [{ ...base, time: 'yesterday' }, 'time'],
      [{ ...base, time: '2023-02-30T00:00:00Z' }, 'time'],
      [{ ...base, time: '1969-12-31T23:59:59Z' }, 'time'],
      [{ ...base, data_base64: 'AAEC' }, 'data_base64'],
      [{ ...base, datacontenttype: 'text/plain', data: 'hi' }, 'datacontenttype'],
      [{ ...base, tenant: { nested: true } }, 'tenant'],
      [{ ...base, 'Bad-Name': 'x' }, 'Bad-Name'],
    ];
    for (const [cloudEvent, attribute] of cases) {
      let caught: TauonError | undefined;
      try {
        cloudEventToEventInput(cloudEvent);
      } catch (error) {
        caught = error as TauonError;
      }
      expect(caught, attribute).toMatchObject({ code: 'bad-frame', details: { attribute } });
      expect(caught?.message, attribute).toContain(`"${attribute}"`);
    }
  });

  it('parses RFC 3339 with offsets, fractions and lower-case letters to milliseconds', () => {
    expect(parseRfc3339('2023-11-14T22:13:20Z', 'time')).toBe(1700000000000);
    expect(parseRfc3339('2023-11-14t23:13:20.1239z', 'time')).toBe(1700003600123);
    expect(parseRfc3339('2023-11-14T23:13:20.5+01:00', 'time')).toBe(1700000000500);
    expect(parseRfc3339('1970-01-01T00:00:00.000Z', 'time')).toBe(0);
  });

  it('turns every CloudEvent Tauon makes back into the stored event', () => {
    for (const event of golden) {
      const { serverId, event: back } = cloudEventToStoredEvent(toCloudEvent(event, 'tauon 1'));
      expect(serverId).toBe('tauon 1');
      // The meta entry user-agent has no attribute name: the mapping leaves it out.
      const { 'user-agent': _left, ...meta } = event.meta ?? {};
      expect(back).toEqual({ ...event, ...(event.meta === undefined ? {} : { meta }) });
    }
    const odd = stored({ stream: 'café 订单 ..', schema: 'relative/schema', seq: 12, pos: 9007199254740991 });
    expect(cloudEventToStoredEvent(toCloudEvent(odd, 'x')).event).toEqual(odd);
    expect(() => cloudEventToStoredEvent({ ...toCloudEvent(odd, 'x'), source: 'https://x' })).toThrow(expect.objectContaining({ details: { attribute: 'source' } }) as Error);
  });
});
