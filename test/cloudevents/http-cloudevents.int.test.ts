import { CloudEvent, emitterFor, HTTP, httpTransport, Mode } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudEventSource, toCloudEvent, type StoredEvent } from '../../protocol/index.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, type WsListener } from '../../transports/ws/index.js';
import { sendHttp } from '../support/http-request.js';

/*
 * The HTTP API's CloudEvents binding against the official SDK (cloudevents v10): what the SDK
 * sends (structured, binary, emitterFor + httpTransport) is stored as SPEC 5.10 maps it, what
 * the API answers passes HTTP.toEvent and validate(), and what Tauon cannot take is refused with
 * a status and a code naming the attribute, the content-type doors of a CORS preflight kept.
 */

const ADMIN = 'admin-token-0123456789abcdef';
/** May write the orders, and read nothing. */
const WRITER = 'writer-token-0123456789abcdef';
const APP = 'https://app.example';
/** A stream name with spaces, accents, CJK and an emoji: the source must still be a URI-reference. */
const ODD = 'café 订单 #1 😀';

let store: MemoryStore;
let server: TauonServer;
let listener: WsListener;
let base: string;

beforeAll(async () => {
  store = new MemoryStore();
  server = new TauonServer({
    store,
    serverId: 'tauon-1',
    limits: { maxFrameBytes: 4096 },
    authenticate: await createAuthenticator({
      tokens: [
        { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
        { name: 'writer', token: WRITER, write: ['orders.*'] },
      ],
    }),
  });
  listener = await listenWs({ onRequest: createHttpApi(server, { allowOrigins: [APP] }) });
  await server.listen(listener.transport);
  base = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
});

afterAll(async () => {
  await server.close();
  await listener.close();
  await store.close();
});

const eventsUrl = (stream: string, query = '') => `${base}/streams/${encodeURIComponent(stream)}/events${query}`;
const auth = (token = ADMIN) => ({ authorization: `Bearer ${token}` });

/** POSTs a body with the headers given (the admin's token unless they carry one). */
async function post(stream: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await sendHttp(eventsUrl(stream), { method: 'POST', headers: { ...auth(), ...headers }, body });
  return { status: answer.status, body: answer.body === '' ? {} : (JSON.parse(answer.body) as Record<string, unknown>) };
}

/** The stored events of a stream, read through the plain JSON route. */
async function storedEvents(stream: string): Promise<StoredEvent[]> {
  const answer = await sendHttp(eventsUrl(stream), { headers: auth() });
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { events: StoredEvent[] }).events;
}

/** A GET whose answer the SDK reads: HTTP.toEvent on its headers and body. */
async function getCloudEvents(stream: string, accept: string, query = '') {
  const answer = await sendHttp(eventsUrl(stream, query), { headers: { ...auth(), accept } });
  return { ...answer, events: () => HTTP.toEvent({ headers: answer.headers, body: answer.body }) };
}

describe('POST /streams/{stream}/events with CloudEvents made by the SDK', () => {
  it('stores a structured-mode CloudEvent (HTTP.structured) as SPEC 5.10 maps it', async () => {
    const made = new CloudEvent({
      id: 'sdk-structured-1',
      source: 'https://shop.example/orders',
      type: 'com.example.order.placed',
      subject: 'order-1',
      time: '2024-05-01T10:00:00.250Z',
      dataschema: 'https://example.com/schemas/placed/1',
      data: { total: 12.5, lines: [{ sku: 'tea', qty: 2 }] },
      correlationid: 'flow-1',
      tenant: 'acme',
      priority: 3,
    });
    const message = HTTP.structured(made);
    const answer = await post('orders.1', message.headers as Record<string, string>, message.body as string);
    expect(answer).toMatchObject({ status: 201, body: { stream: 'orders.1', seqs: [1] } });
    // The id is the idempotency key: the same CloudEvent again writes nothing, and gets the first ack.
    const again = await post('orders.1', message.headers as Record<string, string>, message.body as string);
    expect(again).toMatchObject({ status: 201, body: { stream: 'orders.1', seqs: [1], dups: [0] } });
    expect(await storedEvents('orders.1')).toEqual([
      expect.objectContaining({
        id: 'sdk-structured-1',
        type: 'com.example.order.placed',
        key: 'order-1',
        time: Date.UTC(2024, 4, 1, 10, 0, 0, 250),
        schema: 'https://example.com/schemas/placed/1',
        data: { total: 12.5, lines: [{ sku: 'tea', qty: 2 }] },
        correlation: 'flow-1',
        meta: { tenant: 'acme', priority: '3', cesource: 'https://shop.example/orders' },
      }),
    ]);
  });

  it('stores binary-mode and structured-mode CloudEvents sent by emitterFor(httpTransport) to a stream with spaces and non-ASCII', async () => {
    const sink = eventsUrl(ODD);
    const binary = emitterFor(httpTransport(sink), { mode: Mode.BINARY });
    const structured = emitterFor(httpTransport(sink), { mode: Mode.STRUCTURED });
    const options = { headers: auth() };
    const first = (await binary(new CloudEvent({ id: 'sdk-binary-1', source: '/sensors/7', type: 'Reading', partitionkey: 'sensor-7', data: { celsius: 21.5 } }), options)) as { body: string };
    const second = (await structured(new CloudEvent({ id: 'sdk-emitted-2', source: 'urn:x', type: 'Reading', data: 'plain text is a JSON string' }), options)) as { body: string };
    expect(JSON.parse(first.body)).toMatchObject({ stream: ODD, seqs: [1] });
    expect(JSON.parse(second.body)).toMatchObject({ stream: ODD, seqs: [2] });
    const events = await storedEvents(ODD);
    expect(events.map(({ id, type, key, data, meta }) => ({ id, type, key, data, meta }))).toEqual([
      { id: 'sdk-binary-1', type: 'Reading', key: 'sensor-7', data: { celsius: 21.5 }, meta: { cesource: '/sensors/7' } },
      { id: 'sdk-emitted-2', type: 'Reading', key: undefined, data: 'plain text is a JSON string', meta: { cesource: 'urn:x' } },
    ]);
  });

  it('stores a batch (application/cloudevents-batch+json) as one append, and percent-decodes binary-mode headers', async () => {
    const batch = [
      new CloudEvent({ id: 'batch-1', source: 'app', type: 'A', data: { n: 1 } }),
      new CloudEvent({ id: 'batch-2', source: 'app', type: 'B', subject: 'k' }),
    ];
    const answer = await post('orders.batch', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch));
    expect(answer).toMatchObject({ status: 201, body: { seqs: [1, 2], tx: 1 } });
    const binary = await post(
      'orders.batch',
      { 'ce-specversion': '1.0', 'ce-id': 'pct-1', 'ce-source': 'app', 'ce-type': 'C', 'ce-subject': 'caf%C3%A9%20%25', 'content-type': 'application/json; charset=utf-8' },
      '{"ok":true}',
    );
    expect(binary.status).toBe(201);
    expect((await storedEvents('orders.batch')).map(({ id, key }) => [id, key])).toEqual([['batch-1', undefined], ['batch-2', 'k'], ['pct-1', 'café %']]);
  });
});

describe('GET /streams/{selector}/events in CloudEvents modes, read by the SDK', () => {
  it('answers a batch that HTTP.toEvent reads and validate() takes, events as SPEC 5.10 maps them, and the next page in headers', async () => {
    const answer = await getCloudEvents(ODD, 'application/cloudevents-batch+json', '?limit=1');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/cloudevents-batch+json');
    const events = answer.events() as CloudEvent[];
    expect(Array.isArray(events)).toBe(true);
    expect(events.map((event) => event.validate())).toEqual([true]);
    const [stored] = await storedEvents(ODD);
    expect(events[0]!.toJSON()).toEqual(toCloudEvent(stored!, 'tauon-1'));
    expect(events[0]!.source).toBe(cloudEventSource('tauon-1', ODD));
    expect(answer.headers['tauon-next']).toBe('after:1');
    // The Link header is the URL that reads on: it gives the second (and last) event.
    const link = /^<([^>]+)>; rel="next"$/.exec(answer.headers['link'] as string)![1]!;
    const next = await sendHttp(`${base}${link}`, { headers: { ...auth(), accept: 'application/cloudevents-batch+json' } });
    const rest = HTTP.toEvent({ headers: next.headers, body: next.body }) as CloudEvent[];
    expect(rest.map((event) => [event.id, event.sequence, event.validate()])).toEqual([['sdk-emitted-2', '0000000000000002', true]]);
    expect(next.headers['tauon-next']).toBeUndefined();
  });

  it('answers one structured-mode event, 204 when there is none, and refuses a limit above 1', async () => {
    const one = await getCloudEvents('$all', 'application/cloudevents+json', '?from=end&direction=backward');
    expect(one.status).toBe(200);
    const event = one.events() as CloudEvent;
    expect(event.validate()).toBe(true);
    expect(event.specversion).toBe('1.0');
    expect(one.headers['tauon-next']).toMatch(/^before:\d+$/);
    const none = await getCloudEvents('nothing.here', 'application/cloudevents+json');
    expect([none.status, none.body, none.headers['tauon-next']]).toEqual([204, '', undefined]);
    const tooMany = await getCloudEvents(ODD, 'application/cloudevents+json', '?limit=2');
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.body)).toMatchObject({ error: { code: 'bad-frame' } });
  });

  it('answers plain JSON by default, and for Accept headers that prefer it', async () => {
    for (const accept of [undefined, 'application/json', '*/*', 'application/json, application/cloudevents-batch+json;q=0.5', 'text/html']) {
      const answer = await sendHttp(eventsUrl(ODD), { headers: { ...auth(), ...(accept === undefined ? {} : { accept }) } });
      expect(answer.headers['content-type'], accept).toBe('application/json');
      expect(JSON.parse(answer.body), accept).toHaveProperty('next', null);
    }
    const preferred = await getCloudEvents(ODD, 'application/json;q=0.4, application/cloudevents-batch+json');
    expect(preferred.headers['content-type']).toBe('application/cloudevents-batch+json');
  });

  it('takes back, through the SDK in binary mode, an event Tauon answered: the first source is kept', async () => {
    const [read] = (await getCloudEvents(ODD, 'application/cloudevents-batch+json', '?limit=1')).events() as CloudEvent[];
    const message = HTTP.binary(read!.cloneWith({ id: 'copied-1' }));
    const answer = await post('orders.copy', message.headers as Record<string, string>, message.body as string);
    expect(answer.status).toBe(201);
    const [copy] = await storedEvents('orders.copy');
    expect(copy).toMatchObject({ id: 'copied-1', type: 'Reading', key: 'sensor-7', data: { celsius: 21.5 }, meta: { cesource: '/sensors/7' } });
  });
});

describe('CloudEvents Tauon refuses', () => {
  const valid = { specversion: '1.0', id: 'bad-1', source: 'app', type: 'T' };
  const structured = { 'content-type': 'application/cloudevents+json' };

  it('answers 400 bad-frame naming the attribute, and stores nothing', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [structured, JSON.stringify({ ...valid, id: undefined }), 'id'],
      [structured, JSON.stringify({ ...valid, source: undefined }), 'source'],
      [structured, JSON.stringify({ ...valid, type: undefined }), 'type'],
      [structured, JSON.stringify({ ...valid, specversion: '0.3' }), 'specversion'],
      [structured, JSON.stringify({ ...valid, time: 'now' }), 'time'],
      [structured, JSON.stringify({ ...valid, data_base64: 'AAE=' }), 'data_base64'],
      [structured, JSON.stringify({ ...valid, datacontenttype: 'text/xml', data: '<a/>' }), 'datacontenttype'],
      [structured, JSON.stringify({ ...valid, 'user-agent': 'x' }), 'user-agent'],
      // Checked as any appended event (SPEC 5.2), and named as the sender wrote it.
      [structured, JSON.stringify({ ...valid, id: 'i'.repeat(257) }), 'id'],
      [structured, JSON.stringify({ ...valid, subject: '' }), 'subject'],
      [structured, JSON.stringify({ ...valid, subject: 'a', partitionkey: 'k'.repeat(300) }), 'partitionkey'],
      [structured, JSON.stringify({ ...valid, correlationid: '' }), 'correlationid'],
      [{ 'ce-id': 'x', 'ce-source': 'app', 'ce-type': 'T', 'content-type': 'application/json' }, '{}', 'specversion'],
      [{ 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': 'app', 'ce-type': 'T', 'ce-subject': '100%' }, '', 'subject'],
      [{ 'ce-specversion': '1.0', 'ce-source': 'app', 'ce-type': 'T' }, '', 'id'],
    ];
    for (const [headers, body, attribute] of cases) {
      const answer = await post('orders.bad', headers, body);
      expect(answer, attribute).toMatchObject({ status: 400, body: { error: { code: 'bad-frame', details: { attribute } } } });
      expect((answer.body['error'] as { message: string }).message, attribute).toContain(`"${attribute}"`);
    }
    const batch = await post('orders.bad', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([valid, { ...valid, id: 'bad-2', type: '' }]));
    expect(batch).toMatchObject({ status: 400, body: { error: { code: 'bad-frame', details: { attribute: 'type', index: 1 } } } });
    const empty = await post('orders.bad', { 'content-type': 'application/cloudevents-batch+json' }, '[]');
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'bad-frame' } } });
    expect(await storedEvents('orders.bad')).toEqual([]);
  });

  it('keeps refusing CORS-safelisted body types (415) in every mode', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const plain = await post('orders.cors', { 'content-type': type }, JSON.stringify(valid));
      expect(plain.status, type).toBe(415);
      expect((plain.body['error'] as { message: string }).message).toContain('application/cloudevents+json');
      const binary = await post('orders.cors', { 'content-type': type, 'ce-specversion': '1.0', 'ce-id': 'b', 'ce-source': 'app', 'ce-type': 'T' }, '{}');
      expect(binary, type).toMatchObject({ status: 415, body: { error: { code: 'bad-frame' } } });
    }
    expect(await storedEvents('orders.cors')).toEqual([]);
  });

  it('lets an allowed origin send ce-* headers after a preflight, and read the next-page headers', async () => {
    const preflight = await sendHttp(eventsUrl('orders.1'), {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, ce-id, ce-specversion, ce-source, ce-type, x-other' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, ce-id, ce-specversion, ce-source, ce-type');
    const read = await sendHttp(eventsUrl('orders.1'), { headers: { ...auth(), origin: APP, accept: 'application/cloudevents-batch+json' } });
    expect(read.headers['access-control-expose-headers']).toBe('Tauon-Next, Link');
    const stranger = await sendHttp(eventsUrl('orders.1'), { method: 'POST', headers: { ...auth(), origin: 'https://evil.example', ...structured }, body: JSON.stringify(valid) });
    expect(stranger.status).toBe(403);
  });

  it('holds CloudEvents to maxFrameBytes, the token and its permissions, as the plain route', async () => {
    const big = { ...valid, id: 'big', data: 'x'.repeat(5000) };
    expect((await post('orders.limits', structured, JSON.stringify(big))).status).toBe(413);
    const batch = Array.from({ length: 60 }, (_, index) => ({ ...valid, id: `many-${index}`, data: 'y'.repeat(60) }));
    expect((await post('orders.limits', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch))).status).toBe(413);
    const anonymous = await sendHttp(eventsUrl('orders.limits'), { method: 'POST', headers: structured, body: JSON.stringify(valid) });
    expect(anonymous.status).toBe(401);
    const forbidden = await post('prices', { ...structured, ...auth(WRITER) }, JSON.stringify(valid));
    expect(forbidden).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const allowed = await post('orders.limits', { ...structured, ...auth(WRITER) }, JSON.stringify(valid));
    expect(allowed.status).toBe(201);
    const unreadable = await sendHttp(eventsUrl('orders.limits'), { headers: { ...auth(WRITER), accept: 'application/cloudevents-batch+json' } });
    expect(unreadable.status).toBe(403);
  });

  it('answers 406 unrepresentable for a stored event without a CloudEvents form', async () => {
    const appended = await post('orders.control', { 'content-type': 'application/json' }, JSON.stringify({ type: 'Bell\u0007' }));
    expect(appended.status).toBe(201);
    const answer = await getCloudEvents('orders.control', 'application/cloudevents-batch+json');
    expect(answer.status).toBe(406);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'unrepresentable', details: { stream: 'orders.control', seq: 1 } } });
  });
});
