import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import type { ServerFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';

/*
 * Cases of SPEC.md sections 3 (choosing the codec), 4 (encodings, field types, absent and
 * unknown fields, strings, event data) and 5.1/5.6 (names and selectors). Many send bytes the
 * kit's codecs would never write: a frame is built by hand, or a placeholder in an encoded frame
 * is patched.
 */

const utf8 = new TextEncoder();
/** msgpack with maps as Maps, for keys that are not strings; plain maps otherwise. */
const mapPackr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true });

/** A frame for an assertion message: bigints and bytes shown, never a throw. */
function show(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item instanceof Uint8Array ? `bytes ${[...item].join(' ')}` : item));
}

/** Sends raw text as one frame. */
function sendText(peer: RawPeer, text: string): void {
  peer.sendBytes(utf8.encode(text));
}

/** The bytes of `frame` in msgpack with `marker` (a 3-character str, `a3 ...`) replaced by `replacement` (its whole encoding). */
function patched(frame: object, marker: string, replacement: readonly number[]): Uint8Array {
  const bytes = mapPackr.pack(frame);
  const needle = [0xa3, ...utf8.encode(marker)];
  const at = bytes.findIndex((_, index) => needle.every((byte, offset) => bytes[index + offset] === byte));
  assert.ok(at >= 0, `the marker ${marker} is in the frame`);
  return new Uint8Array([...bytes.subarray(0, at), ...replacement, ...bytes.subarray(at + needle.length)]);
}

/** Waits for the `error` that names request `id` and checks its code. */
async function expectError(peer: RawPeer, id: number, code: string, what: string): Promise<void> {
  const answer = await peer.next((frame) => 'id' in frame && frame.id === id);
  assert.equal(answer.type === 'error' && answer.code, code, `${what}: SPEC requires error ${code} naming request ${id}, got ${JSON.stringify(answer)}`);
}

/** Waits for an `error` that names no request, and checks its code. */
async function expectAnonymousError(peer: RawPeer, code: string, what: string): Promise<ServerFrame> {
  const error = await peer.expect('error');
  assert.equal(error.code, code, `${what}: SPEC requires error ${code}, got ${JSON.stringify(error)}`);
  assert.equal('id' in error || 'sub' in error, false, `${what}: the error names no request, got ${JSON.stringify(error)}`);
  return error;
}

/** Proves that the connection is open and served: a ping is answered. */
async function stillOpen(kit: KitContext, peer: RawPeer, what: string): Promise<void> {
  try {
    await kit.roundTrip(peer);
  } catch (error) {
    throw new Error(`${what}: the session MUST stay open and serve the next frame (${(error as Error).message})`, { cause: error });
  }
}

/** Reads one stream back, in msgpack, and returns its events. */
async function readBack(kit: KitContext, peer: RawPeer, stream: string): Promise<Record<string, unknown>[]> {
  const page = await kit.ask(peer, { type: 'read', stream });
  assert.equal(page.type, 'page', `read of ${stream}: ${show(page)}`);
  return (page).events;
}

/** Appends one raw frame (bytes) as request `id` and expects bad-frame naming it, then that the stream is still empty. */
async function refusedAppend(kit: KitContext, peer: RawPeer, id: number, stream: string, bytes: Uint8Array, what: string): Promise<void> {
  peer.sendBytes(bytes);
  await expectError(peer, id, 'bad-frame', what);
  assert.deepEqual(await readBack(kit, peer, stream), [], `${what}: nothing is stored`);
}

/**
 * Proves SPEC 4.9 for one value JSON cannot carry: a msgpack producer stores it (between two
 * plain events); a JSON reader's page and a JSON subscription fail with `unrepresentable`
 * naming the event, and go on after it from its position; a msgpack reader gets it unchanged.
 */
async function unrepresentable(kit: KitContext, value: unknown, same: (got: unknown) => boolean): Promise<void> {
  const producer = await kit.open();
  const stream = kit.stream('unrepresentable');
  await kit.appendOk(producer, stream, [{ id: kit.eventId(), type: 'Plain', data: { n: 1 } }, { id: kit.eventId(), type: 'Odd', data: { value } }, { id: kit.eventId(), type: 'Plain', data: { n: 3 } }]);
  const [, stored] = await readBack(kit, producer, stream);
  assert.ok(same((stored?.['data'] as { value?: unknown } | undefined)?.value), `a msgpack reader gets the value unchanged: ${show(stored)}`);
  const reader = await kit.open({ codec: 'json' });
  const failed = await kit.ask(reader, { type: 'read', stream });
  assert.ok(failed.type === 'error' && failed.code === 'unrepresentable', `a JSON reader's page holding it fails with unrepresentable: ${JSON.stringify(failed)}`);
  assert.deepEqual({ stream: failed.details?.['stream'], seq: failed.details?.['seq'] }, { stream, seq: 2 }, `details name the first such event: ${JSON.stringify(failed)}`);
  const after = await kit.ask(reader, { type: 'read', stream, from: { after: 2 } });
  assert.deepEqual(after.type === 'page' && after.events.map((event) => event.seq), [3], `a JSON reader goes on after it: ${JSON.stringify(after)}`);
  const before = await kit.ask(reader, { type: 'read', stream, limit: 1 });
  assert.deepEqual(before.type === 'page' && before.events.map((event) => event.seq), [1], `and reads what comes before it: ${JSON.stringify(before)}`);
  reader.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 10 });
  const error = await reader.expect('error', { sub: 1 });
  assert.equal(error.code, 'unrepresentable', `a JSON subscription that reaches it fails with unrepresentable: ${JSON.stringify(error)}`);
  assert.deepEqual({ stream: error.details?.['stream'], seq: error.details?.['seq'] }, { stream, seq: 2 }, `details name it: ${JSON.stringify(error)}`);
  const delivered = reader.pending().filter((frame) => frame.type === 'events' && frame.sub === 1).flatMap((frame) => (frame.type === 'events' ? frame.events.map((event) => event.seq) : []));
  assert.ok(delivered.every((seq) => seq < 2), `nothing at or after it is delivered: ${JSON.stringify(delivered)}`);
  await kit.appendOk(producer, stream, [{ id: kit.eventId(), type: 'Plain', data: { n: 4 } }]);
  await kit.roundTrip(reader);
  assert.equal(reader.pending().some((frame) => 'sub' in frame && frame.sub === 1 && frame.type !== 'events'), false, `the subscription ended with the error: ${JSON.stringify(reader.pending())}`);
  assert.equal(reader.pending().filter((frame) => frame.type === 'events' && frame.sub === 1).length <= (delivered.length > 0 ? 1 : 0), true, 'no events after the error');
  reader.send({ type: 'subscribe', sub: 2, stream, from: { after: 2 }, mode: 'cold', credit: 10 });
  assert.deepEqual((await kit.collect(reader, 2, 2)).map((event) => event.seq), [3, 4], 'a JSON subscriber resumes after it');
  const subscriber = await kit.open();
  subscriber.send({ type: 'subscribe', sub: 1, stream, mode: 'cold', credit: 10 });
  const got = await kit.collect(subscriber, 1, 4);
  assert.ok(same((got[1]?.data as { value?: unknown } | undefined)?.value), 'a msgpack subscriber gets it unchanged');
}

export const ENCODINGS_CASES: readonly ConformanceCase[] = [
  {
    section: '3',
    title: 'a JSON frame after the first may have whitespace before its {',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      sendText(peer, ' \t\r\n{"type":"ping","nonce":41}');
      const pong = await peer.expect('pong');
      assert.equal(pong.nonce, 41, `a later JSON frame is a JSON text (RFC 8259): whitespace before { is allowed; got ${JSON.stringify(pong)}`);
      sendText(peer, '{ "type" : "ping" , "nonce" : 42 }\n');
      assert.equal((await peer.expect('pong')).nonce, 42, 'whitespace between tokens and after the object is allowed');
    },
  },
  {
    section: '3',
    title: 'a first frame with whitespace before { is not JSON: undecodable msgpack, bad-frame and close 4002',
    async run(kit) {
      // The server answers in the codec the first byte chose: msgpack.
      const peer = await kit.connect('msgpack');
      sendText(peer, ` ${JSON.stringify(kit.hello())}`);
      const closed = await peer.waitClosed();
      const error = peer.received.find((frame) => frame.type === 'error');
      assert.equal(error?.code, 'bad-frame', `the first byte chose msgpack, and the bytes are not msgpack: bad-frame; got ${JSON.stringify(peer.received)}`);
      assert.equal(closed.code, 4002, `undecodable bytes close with 4002, got ${closed.code}`);
      assert.equal(peer.received.some((frame) => frame.type === 'welcome'), false, 'no welcome');
    },
  },
  {
    section: '3',
    title: 'a msgpack frame on a JSON connection, or a JSON frame on a msgpack one, is undecodable: bad-frame, close 4002',
    async run(kit) {
      const json = await kit.open({ codec: 'json' });
      json.sendBytes(mapPackr.pack({ type: 'ping', nonce: 1 }));
      await expectAnonymousError(json, 'bad-frame', 'msgpack bytes on a JSON connection');
      assert.equal((await json.waitClosed()).code, 4002, 'the codec is fixed by the first frame: other bytes are undecodable, close 4002');
      const msgpack = await kit.open({ codec: 'msgpack' });
      sendText(msgpack, '{"type":"ping","nonce":1}');
      await expectAnonymousError(msgpack, 'bad-frame', 'JSON text on a msgpack connection');
      assert.equal((await msgpack.waitClosed()).code, 4002, 'JSON text on a msgpack connection is undecodable msgpack: close 4002');
    },
  },
  {
    section: '3',
    title: 'a byte order mark before a later JSON frame is undecodable: bad-frame, close 4002',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      peer.sendBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode('{"type":"ping","nonce":3}')]));
      await expectAnonymousError(peer, 'bad-frame', 'a BOM before {');
      assert.equal(peer.received.some((frame) => frame.type === 'pong'), false, 'the frame with a BOM is not taken');
      assert.equal((await peer.waitClosed()).code, 4002, 'a JSON frame never starts with a BOM: undecodable, close 4002');
    },
  },
  {
    section: '4.1',
    title: 'decodable JSON that is not an object is bad-frame without id, and the session stays open',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      for (const text of ['[1]', '"x"', '3', 'null', 'true', '[{"type":"ping","id":4}]']) {
        sendText(peer, text);
        await expectAnonymousError(peer, 'bad-frame', `the JSON text ${text}`);
        await stillOpen(kit, peer, `after the JSON text ${text}`);
      }
    },
  },
  {
    section: '4.1',
    title: 'a msgpack value that is not a map is bad-frame without id, and the session stays open',
    async run(kit) {
      const peer = await kit.open();
      for (const value of [[1], 'x', 3, null, true, [{ type: 'ping', id: 4 }]]) {
        peer.sendBytes(mapPackr.pack(value));
        await expectAnonymousError(peer, 'bad-frame', `the msgpack value ${JSON.stringify(value)}`);
        await stillOpen(kit, peer, `after the msgpack value ${JSON.stringify(value)}`);
      }
    },
  },
  {
    section: '4.1',
    title: 'a first frame that is a msgpack value but not a map is bad-frame, close 4001',
    async run(kit) {
      const peer = await kit.connect();
      peer.sendBytes(mapPackr.pack([1, 2]));
      const closed = await peer.waitClosed();
      assert.equal(peer.received.find((frame) => frame.type === 'error')?.code, 'bad-frame', `got ${JSON.stringify(peer.received)}`);
      assert.equal(closed.code, 4001, `a first frame that is not a valid hello closes 4001, got ${closed.code}`);
    },
  },
  {
    section: '4.1',
    title: 'a msgpack frame with a map key that is not a string is bad-frame naming the request, and stays open',
    async run(kit) {
      const peer = await kit.open();
      const id = peer.id();
      peer.sendBytes(mapPackr.pack(new Map<unknown, unknown>([['type', 'read'], ['id', id], ['stream', kit.stream('key')], [7, 'seven']])));
      await expectError(peer, id, 'bad-frame', 'a frame with the integer key 7');
      const other = peer.id();
      peer.sendBytes(mapPackr.pack(new Map<unknown, unknown>([['type', 'read'], ['id', other], ['stream', kit.stream('key')], ['filter', new Map<unknown, unknown>([[true, ['A']]])]])));
      await expectError(peer, other, 'bad-frame', 'a filter with the key true');
      await stillOpen(kit, peer, 'after a map key that is not a string');
    },
  },
  {
    section: '4.9',
    title: 'event data with a msgpack map key that is not a string is bad-frame, stays open, and nothing is stored',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('data-key');
      for (const key of [1, -2, 1.5, true, null, [1]]) {
        const id = peer.id();
        const data = new Map<unknown, unknown>([['ok', 1], [key, 'value']]);
        const bytes = mapPackr.pack({ type: 'append', id, stream, events: [{ id: kit.eventId(), type: 'T', data: { nested: data } }], newChain: true });
        await refusedAppend(kit, peer, id, stream, bytes, `data with the map key ${JSON.stringify(key)}`);
      }
      await stillOpen(kit, peer, 'after data with keys that are not strings');
    },
  },
  {
    section: '4.8',
    title: 'a JSON \\u escape of a lone surrogate is bad-frame, in a field or in data, and stays open',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      const stream = kit.stream('surrogate');
      const texts = ['"\\ud800"', '"a\\udc00b"', '"\\udbff\\u0041"'];
      for (const [index, text] of texts.entries()) {
        const id = peer.id();
        const event = [
          `{"type":${text}}`,
          `{"type":"T","data":{"s":${text}}}`,
          `{"type":"T","data":{${text}:1}}`,
        ][index]!;
        sendText(peer, `{"type":"append","id":${id},"stream":"${stream}","events":[${event}],"newChain":true}`);
        await expectError(peer, id, 'bad-frame', `the event ${event}`);
      }
      const good = peer.id();
      sendText(peer, `{"type":"append","id":${good},"stream":"${stream}","events":[{"type":"T","data":"\\ud83d\\ude00"}],"newChain":true}`);
      const answer = await peer.next((frame) => 'id' in frame && frame.id === good);
      assert.equal(answer.type, 'appended', `a surrogate pair is one code point, taken: ${JSON.stringify(answer)}`);
      const events = await readBack(kit, peer, stream);
      assert.deepEqual(events.map((event) => event['data']), ['😀'], 'only the well-formed event is stored');
    },
  },
  {
    section: '4.8',
    title: 'a msgpack str that is not UTF-8 (an encoded surrogate, a stray byte) is bad-frame naming the request, and stays open',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('not-utf8');
      for (const bytes of [[0xa3, 0xed, 0xa0, 0x80], [0xa2, 0x41, 0xff], [0xa2, 0xc0, 0x80]]) {
        const id = peer.id();
        const frame = patched({ type: 'append', id, stream, events: [{ type: 'T', data: { s: 'XXX' } }], newChain: true }, 'XXX', bytes);
        await refusedAppend(kit, peer, id, stream, frame, `the str bytes ${bytes.map((byte) => byte.toString(16)).join(' ')}`);
      }
      await stillOpen(kit, peer, 'after strs that are not UTF-8');
    },
  },
  {
    section: '4.5',
    title: 'null in an optional field is bad-frame naming the request, over both codecs',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const stream = kit.stream('null');
        const frames: Record<string, unknown>[] = [
          { type: 'read', stream, limit: null },
          { type: 'read', stream, from: null },
          { type: 'streams', prefix: null },
          { type: 'append', stream, events: [{ type: 'T', key: null }], newChain: true },
          { type: 'append', stream, events: [{ type: 'T', meta: null }], newChain: true },
          { type: 'append', stream, events: [{ type: 'T' }], expected: null, newChain: true },
        ];
        for (const frame of frames) {
          const answer = await kit.ask(peer, frame);
          assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `${codec}: null is not a value of an optional field (SPEC 4.5): ${JSON.stringify(frame)} got ${JSON.stringify(answer)}`);
        }
        const data = await kit.append(peer, stream, [{ type: 'T', data: null }], { newChain: true });
        assert.equal(data.type, 'appended', `${codec}: null is a value inside data: ${JSON.stringify(data)}`);
      }
    },
  },
  {
    section: '4.6',
    title: 'unknown fields are ignored, in frames and in events, and not stored nor echoed',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const stream = kit.stream('unknown');
        const id = kit.eventId();
        const ack = await kit.append(peer, stream, [{ id, type: 'T', data: 1, color: 'red', seq: 99, pos: 99 }], { future: { x: 1 } });
        assert.equal(ack.type, 'appended', `${codec}: unknown fields are ignored: ${JSON.stringify(ack)}`);
        const page = await kit.ask(peer, { type: 'read', stream, filter: { types: ['T'], colors: ['red'] }, later: true });
        assert.equal(page.type, 'page', `${codec}: ${JSON.stringify(page)}`);
        const [event] = (page).events;
        assert.ok(event !== undefined, `${codec}: the event is read back`);
        assert.equal('color' in event, false, `${codec}: an unknown field of an event is not stored: ${JSON.stringify(event)}`);
        assert.equal(event.seq, 1, `${codec}: seq is the server's, not the sender's: ${JSON.stringify(event)}`);
        const pong = await kit.ask(peer, { type: 'info', extra: 'x' });
        assert.equal(pong.type, 'server-info', `${codec}: ${JSON.stringify(pong)}`);
      }
    },
  },
  {
    section: '4.6',
    title: 'a start position with two keys, or an unknown key, is bad-frame',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('start-keys');
      await kit.appendOk(peer, stream, kit.events(3));
      for (const from of [{ after: 1, before: 3 }, { at: 1, after: 0 }, { after: 1, later: 2 }, { later: 2 }, {}]) {
        const answer = await kit.ask(peer, { type: 'read', stream, from });
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `a start position has exactly one known key: ${JSON.stringify(from)} got ${JSON.stringify(answer)}`);
      }
      peer.send({ type: 'subscribe', sub: 1, stream, from: { after: 1, before: 3 }, mode: 'cold', credit: 10 });
      assert.equal((await peer.expect('error', { sub: 1 })).code, 'bad-frame', 'the same in subscribe');
    },
  },
  {
    section: '4.4',
    title: 'integers written as whole floats are accepted: msgpack float 64 and float 32, JSON 2.0 and 2e0',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('floats');
      await kit.appendOk(peer, stream, kit.events(5));
      for (const float of [
        [0xcb, 0x40, 0x00, 0, 0, 0, 0, 0, 0],
        [0xca, 0x40, 0x00, 0, 0],
      ]) {
        const id = peer.id();
        // `limit: 2` written as a float, patched over a 3-character placeholder.
        peer.sendBytes(patched({ type: 'read', id, stream, limit: 'LIM' }, 'LIM', float));
        const page = await peer.next((frame) => 'id' in frame && frame.id === id);
        assert.equal(page.type === 'page' && page.events.length, 2, `limit 2.0 as ${float[0] === 0xcb ? 'float 64' : 'float 32'} is the integer 2: ${JSON.stringify(page)}`);
      }
      const json = await kit.open({ codec: 'json' });
      for (const written of ['2.0', '2e0', '0.2e1']) {
        const id = json.id();
        sendText(json, `{"type":"read","id":${id},"stream":"${stream}","limit":${written}}`);
        const page = await json.next((frame) => 'id' in frame && frame.id === id);
        assert.equal(page.type === 'page' && page.events.length, 2, `limit ${written} is the integer 2: ${JSON.stringify(page)}`);
      }
    },
  },
  {
    section: '4.4',
    title: 'a value out of its type is bad-frame: negative uint, fraction, past 2^53 - 1, a string for a number',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      const stream = kit.stream('ranges');
      await kit.appendOk(peer, stream, kit.events(2));
      for (const limit of ['-1', '0', '1.5', '9007199254740992', '"2"', '1e400']) {
        const id = peer.id();
        sendText(peer, `{"type":"read","id":${id},"stream":"${stream}","limit":${limit}}`);
        await expectError(peer, id, 'bad-frame', `limit ${limit} (a posint)`);
      }
      for (const from of ['{"after":-1}', '{"after":0.5}', '{"at":0}', '{"after":9007199254740992}']) {
        const id = peer.id();
        sendText(peer, `{"type":"read","id":${id},"stream":"${stream}","from":${from}}`);
        await expectError(peer, id, 'bad-frame', `from ${from}`);
      }
      const max = peer.id();
      sendText(peer, `{"type":"read","id":${max},"stream":"${stream}","from":{"after":9007199254740991}}`);
      const page = await peer.next((frame) => 'id' in frame && frame.id === max);
      assert.deepEqual(page.type === 'page' && page.events, [], `2^53 - 1 is a uint: ${JSON.stringify(page)}`);
    },
  },
  {
    section: '4.4',
    title: 'names are 1 to 256 code points, counted as code points: empty and 257 refused, 256 emoji taken',
    async run(kit) {
      const peer = await kit.open();
      const stream = kit.stream('names');
      for (const type of ['', 'x'.repeat(257), '😀'.repeat(257)]) {
        const answer = await kit.append(peer, stream, [{ type }], { newChain: true });
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `a type of ${[...type].length} code points: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      const emoji = '😀'.repeat(256);
      const ack = await kit.append(peer, stream, [{ type: emoji, key: 'é'.repeat(256) }], { newChain: true });
      assert.equal(ack.type, 'appended', `256 code points (1024 bytes of UTF-8) is a name: ${JSON.stringify(ack).slice(0, 300)}`);
      const [event] = await readBack(kit, peer, stream);
      assert.equal(event?.['type'], emoji, 'stored and delivered as sent');
      const long = `${kit.stream('n')}-`;
      const name = long + '😀'.repeat(256 - [...long].length);
      assert.equal((await kit.append(peer, name, [{ type: 'T' }])).type, 'appended', 'a stream name of 256 code points');
      const answer = await kit.append(peer, `${name}x`, [{ type: 'T' }]);
      assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `a stream name of 257 code points: ${JSON.stringify(answer).slice(0, 200)}`);
    },
  },
  {
    section: '5.1',
    title: 'stream names: $ names and names with * are refused for append; price$usd and other code points are names',
    async run(kit) {
      const peer = await kit.open();
      const base = kit.stream('names');
      for (const stream of ['$all', '$x', `${base}*`, `${base}*x`, '*', '']) {
        const answer = await kit.append(peer, stream, [{ type: 'T' }]);
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `append to ${JSON.stringify(stream)}: ${JSON.stringify(answer)}`);
      }
      for (const stream of [`${base}.price$usd`, `${base}/prices:EUR`, `${base}.café.订单`]) {
        assert.equal((await kit.append(peer, stream, [{ type: 'T' }])).type, 'appended', `${stream} is a stream name`);
        assert.equal((await readBack(kit, peer, stream)).length, 1, `${stream} reads back`);
      }
    },
  },
  {
    section: '5.6',
    title: 'selectors: a*b, **, *a, $x and $all* are refused; a pattern is a prefix match, not a glob',
    async run(kit) {
      const peer = await kit.open();
      const base = kit.stream('sel');
      for (const selector of [`${base}a*b`, '**', '*a', '$x', '$all*', '']) {
        const answer = await kit.ask(peer, { type: 'read', stream: selector });
        assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `read ${JSON.stringify(selector)}: ${JSON.stringify(answer)}`);
        const sub = peer.id();
        peer.send({ type: 'subscribe', sub, stream: selector, mode: 'cold', credit: 1 });
        assert.equal((await peer.expect('error', { sub })).code, 'bad-frame', `subscribe ${JSON.stringify(selector)}`);
      }
      await kit.appendOk(peer, `${base}.a`, kit.events(1));
      await kit.appendOk(peer, `${base}.x.y`, kit.events(1));
      await kit.appendOk(peer, base, kit.events(1));
      const page = await kit.ask(peer, { type: 'read', stream: `${base}.*` });
      assert.deepEqual(
        page.type === 'page' && page.events.map((event) => event.stream),
        [`${base}.a`, `${base}.x.y`],
        `${base}.* matches every name that starts with "${base}." and not ${base} itself: ${JSON.stringify(page)}`,
      );
    },
  },
  {
    section: '4.9',
    title: 'binary data: a JSON reader and subscriber get unrepresentable naming the event, a msgpack reader gets it unchanged',
    async run(kit) {
      const bytes = new Uint8Array([0, 1, 2, 255]);
      await unrepresentable(kit, bytes, (got) => got instanceof Uint8Array && [...got].join() === [...bytes].join());
    },
  },
  {
    section: '4.9',
    title: 'a msgpack timestamp: a JSON reader and subscriber get unrepresentable, never a string; msgpack gets it unchanged',
    async run(kit) {
      const time = new Date(1_700_000_000_123);
      await unrepresentable(kit, time, (got) => got instanceof Date && got.getTime() === time.getTime());
    },
  },
  {
    section: '4.9',
    title: 'a msgpack integer 2^60: a JSON reader and subscriber get unrepresentable, msgpack gets it exactly',
    async run(kit) {
      const big = 2n ** 60n;
      await unrepresentable(kit, big, (got) => got === big);
    },
  },
  {
    section: '7',
    title: 'an unknown frame type, or a frame of the server side, is unknown-frame naming the request, and the session stays open',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        for (const type of ['teleport', 'welcome', 'page', 'Ping']) {
          const answer = await kit.ask(peer, { type });
          assert.equal(answer.type === 'error' && answer.code, 'unknown-frame', `${codec}: a frame of type ${type}: ${JSON.stringify(answer)}`);
        }
        peer.send({ type: 'teleport' });
        await expectAnonymousError(peer, 'unknown-frame', `${codec}: an unknown frame without id`);
        await stillOpen(kit, peer, `${codec}: after unknown frames`);
      }
    },
  },
  {
    section: '7',
    title: 'missing and mistyped fields are bad-frame echoing the id or sub, and the session stays open',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const stream = kit.stream('fields');
        const frames: Record<string, unknown>[] = [
          { type: 'append', events: [{ type: 'X' }] },
          { type: 'append', stream, events: [{ data: 'no type' }], newChain: true },
          { type: 'append', stream, events: [], newChain: true },
          { type: 'read', stream: 42 },
          { type: 'read', stream, direction: 'sideways' },
          { type: 'streams', limit: 'ten' },
          { type: 'invalidate', stream, tx: 0 },
        ];
        for (const frame of frames) {
          const answer = await kit.ask(peer, frame);
          assert.equal(answer.type === 'error' && answer.code, 'bad-frame', `${codec}: ${JSON.stringify(frame)}: ${JSON.stringify(answer)}`);
        }
        const sub = peer.id();
        peer.send({ type: 'subscribe', sub, stream, mode: 'sideways', credit: 1 });
        assert.equal((await peer.expect('error', { sub })).code, 'bad-frame', `${codec}: a subscribe with a bad mode names its sub`);
        peer.send({ type: 'read', id: -4, stream: 42 });
        await expectAnonymousError(peer, 'bad-frame', `${codec}: an id that is not a uint is not echoed`);
        await stillOpen(kit, peer, `${codec}: after bad frames`);
      }
    },
  },
  {
    section: '4.3',
    title: 'JSON text frames throughout a session: append, read, subscribe, credit, streams, info',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      const stream = kit.stream('json');
      const send = (text: string) => sendText(peer, text);
      send(`{"type":"append","id":1,"stream":"${stream}","events":[{"id":"${kit.eventId()}","type":"T","data":{"a":[1,2.5,"x",null,true]}},{"id":"${kit.eventId()}","type":"T","key":"k","meta":{"m":"v"}}]}`);
      const ack = await peer.expect('appended', { id: 1 });
      assert.deepEqual(ack.seqs, [1, 2], JSON.stringify(ack));
      send(`{"type":"read","id":2,"stream":"${stream}","limit":1}`);
      const read = await peer.expect('page', { id: 2 });
      assert.deepEqual([read.events[0]?.data, read.next], [{ a: [1, 2.5, 'x', null, true] }, { after: 1 }], 'data as sent');
      send(`{"type":"subscribe","sub":3,"stream":"${stream}","mode":"hot-cold","credit":1}`);
      assert.deepEqual((await kit.collect(peer, 3, 1)).map((event) => event.seq), [1], 'one event on credit 1');
      send('{"type":"credit","sub":3,"n":5}');
      assert.equal((await kit.collect(peer, 3, 1))[0]?.meta?.['m'], 'v', 'the rest on more credit');
      await peer.expect('caught-up', { sub: 3 });
      send(`{"type":"streams","id":4,"prefix":"${stream}"}`);
      assert.deepEqual((await peer.expect('stream-list', { id: 4 })).streams.map((s) => s.head), [2], 'streams');
      send('{"type":"info","id":5}');
      assert.equal((await peer.expect('server-info', { id: 5 })).version, 1, 'info');
      assert.deepEqual(peer.invalid, [], 'every frame the server sent is valid JSON of the schemas');
    },
  },
];
