import assert from 'node:assert/strict';
import type { ServerFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';
import type { RawPeer } from '../raw-peer.js';
import { CONFORMANCE_AUTH_PATTERN, type AuthUnderTest } from '../kit/server-under-test.js';

/*
 * Cases of SPEC.md 6.6 (authentication and authorization) and 6.4.1 (hello), against a server
 * that authenticates, with the tokens of ServerUnderTest.auth: the reader may read
 * `tauon-conf-auth.*` only, the writer may write it only, `server.token` may do everything.
 */

/** What every stream the reader may read starts with: the granted pattern's prefix. */
const GRANTED_PREFIX = CONFORMANCE_AUTH_PATTERN.slice(0, -1);

/** A stream the reader may read and the writer may write. */
const inside = (kit: KitContext, label = 's') => kit.stream(label, GRANTED_PREFIX);
/** A stream neither may touch. */
const outside = (kit: KitContext, label = 'outside') => kit.stream(label, 'tauon-conf-other-');

function authOf(kit: KitContext): AuthUnderTest {
  const auth = kit.server.auth;
  if (auth === undefined) throw new Error('this case needs ServerUnderTest.auth');
  return auth;
}

/** A connection whose hello carries `token` (or none), the handshake not yet answered. */
async function helloWith(kit: KitContext, token: string | undefined): Promise<RawPeer> {
  const peer = await kit.connect();
  peer.send({ type: 'hello', versions: [1], ...(token === undefined ? {} : { token }) });
  return peer;
}

/** Asserts the refusal of SPEC 6.6: `error {code: forbidden}` with the permission and selector, named in the message. */
function assertForbidden(answer: ServerFrame, permission: 'read' | 'write', selector: string, what: string): void {
  const shown = JSON.stringify(answer);
  assert.equal(answer.type, 'error', `${what}: SPEC 6.6 requires error {code: "forbidden"}, got ${shown}`);
  if (answer.type !== 'error') return;
  assert.equal(answer.code, 'forbidden', `${what}: SPEC 6.6 requires code "forbidden", got ${shown}`);
  assert.deepEqual(answer.details, { permission, selector }, `${what}: SPEC 6.6 requires details {permission: "${permission}", selector}, got ${shown}`);
  assert.ok(answer.message.includes(selector), `${what}: SPEC 6.6 requires a message naming the selector ${selector}, got ${shown}`);
}

/** The connection is still served: a ping is answered (SPEC 6.6: the connection stays open). */
async function assertStillOpen(kit: KitContext, peer: RawPeer, after: string): Promise<void> {
  try {
    await kit.roundTrip(peer);
  } catch (error) {
    throw new Error(`SPEC 6.6: the connection stays open after ${after}; ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** A stream inside and one outside the granted pattern, each with events A (key k, data 1) and B (key k, data 2). */
async function seeded(kit: KitContext): Promise<{ allowed: string; denied: string }> {
  const admin = await kit.open();
  const allowed = inside(kit);
  const denied = outside(kit);
  for (const stream of [allowed, denied]) {
    await kit.appendOk(admin, stream, [
      { id: kit.eventId(), type: 'A', key: 'k', data: 1 },
      { id: kit.eventId(), type: 'B', key: 'k', data: 2 },
    ]);
  }
  return { allowed, denied };
}

/** The `stream-list` answer to `streams`, or a failure that shows what came. */
async function listStreams(kit: KitContext, peer: RawPeer, frame: Record<string, unknown>) {
  const answer = await kit.ask(peer, { type: 'streams', ...frame });
  assert.equal(answer.type, 'stream-list', `streams ${JSON.stringify(frame)}: expected a stream-list, got ${JSON.stringify(answer)}`);
  if (answer.type !== 'stream-list') throw new Error('unreachable');
  return answer;
}

/** Refusal at `hello`: a reject that says unauthorized, then close 4001 (SPEC 6.4.1, 6.6, 10). */
async function assertRefusedAtHello(peer: RawPeer, what: string, secret?: string): Promise<void> {
  const reject = await peer.next((frame) => frame.type === 'reject' || frame.type === 'welcome');
  assert.equal(reject.type, 'reject', `${what}: SPEC 6.6 requires reject {code: "unauthorized"}, got ${JSON.stringify(reject)}`);
  if (reject.type !== 'reject') return;
  assert.equal(reject.code, 'unauthorized', `${what}: SPEC 6.6 requires code "unauthorized", got ${JSON.stringify(reject)}`);
  if (secret !== undefined) assert.ok(!reject.message.includes(secret), `${what}: SPEC 6.6: the message must not repeat the token, got ${reject.message}`);
  const closed = await peer.waitClosed();
  assert.equal(closed.code, 4001, `${what}: SPEC 10 requires close 4001 after reject, got ${closed.code} ${closed.reason}`);
}

export const AUTHORIZATION_CASES: readonly ConformanceCase[] = [
  {
    section: '6.4.1',
    title: 'a hello without a token is rejected unauthorized, then closed 4001',
    needs: ['authenticates'],
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.connect(codec);
        peer.send({ type: 'hello', versions: [1] });
        await assertRefusedAtHello(peer, `hello without a token (${codec})`);
      }
    },
  },
  {
    section: '6.4.1',
    title: 'a hello with a token the server does not know is rejected unauthorized, then closed 4001',
    needs: ['authenticates'],
    async run(kit) {
      const unknown = `tauon-conformance-unknown-${kit.eventId('token')}-0123456789`;
      await assertRefusedAtHello(await helloWith(kit, unknown), 'hello with an unknown token', unknown);
    },
  },
  {
    section: '6.6',
    title: 'append and invalidate without write permission are forbidden, naming the permission and the stream, and write nothing',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const { allowed, denied } = await seeded(kit);
      const reader = await kit.open({ token: auth.reader });
      const writer = await kit.open({ token: auth.writer });
      const tries: [RawPeer, string, string][] = [
        [reader, allowed, 'the reader'],
        [writer, denied, 'the writer'],
      ];
      for (const [peer, stream, who] of tries) {
        assertForbidden(await kit.append(peer, stream, [{ id: kit.eventId(), type: 'X' }]), 'write', stream, `${who}'s append to ${stream}`);
        assertForbidden(await kit.ask(peer, { type: 'invalidate', stream, tx: 1 }), 'write', stream, `${who}'s invalidate of ${stream}`);
        await assertStillOpen(kit, peer, 'a forbidden write');
      }
      // SPEC 6.6: the refused frame has no other effect.
      const admin = await kit.open();
      for (const stream of [allowed, denied]) {
        const page = await kit.ask(admin, { type: 'read', stream });
        const types = page.type === 'page' ? page.events.map((event) => event.type) : page;
        assert.deepEqual(types, ['A', 'B'], `a forbidden append or invalidate writes nothing to ${stream}; read gave ${JSON.stringify(page)}`);
      }
    },
  },
  {
    section: '6.6',
    title: 'subscribe, read and surface without read permission on all they select are forbidden, naming the selector',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const { allowed, denied } = await seeded(kit);
      const reader = await kit.open({ token: auth.reader });
      const writer = await kit.open({ token: auth.writer });
      // `$all` is covered only by `$all`; a pattern wider than the grant is not covered by it.
      const tries: [RawPeer, string][] = [
        [reader, denied],
        [reader, '$all'],
        [reader, 'tauon-conf-*'],
        [reader, GRANTED_PREFIX.slice(0, -1)],
        [writer, allowed],
      ];
      let sub = 0;
      for (const [peer, selector] of tries) {
        sub += 1;
        peer.send({ type: 'subscribe', sub, stream: selector, mode: 'cold', credit: 10 });
        assertForbidden(await peer.expect('error', { sub }), 'read', selector, `subscribe to ${selector}`);
        assertForbidden(await kit.ask(peer, { type: 'read', stream: selector }), 'read', selector, `read of ${selector}`);
        if (!selector.endsWith('*') && selector !== '$all') {
          assertForbidden(await kit.ask(peer, { type: 'surface', stream: selector }), 'read', selector, `surface of ${selector}`);
        }
        await assertStillOpen(kit, peer, 'a forbidden read');
      }
    },
  },
  {
    section: '6.6',
    title: 'a refused subscribe opens no subscription: its sub may be used again at once',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const { allowed, denied } = await seeded(kit);
      const reader = await kit.open({ token: auth.reader });
      reader.send({ type: 'subscribe', sub: 7, stream: denied, mode: 'cold', credit: 10 });
      assertForbidden(await reader.expect('error', { sub: 7 }), 'read', denied, `subscribe to ${denied}`);
      reader.send({ type: 'subscribe', sub: 7, stream: allowed, mode: 'cold', credit: 10 });
      const first = await reader.next((frame) => 'sub' in frame && frame.sub === 7);
      assert.equal(first.type, 'events', `sub 7 was not opened by the refused subscribe, so a subscribe with it is served; got ${JSON.stringify(first)}`);
      if (first.type === 'events') assert.deepEqual(first.events.map((event) => event.type), ['A', 'B'], `events of ${allowed}: ${JSON.stringify(first)}`);
      await reader.expect('complete', { sub: 7 });
    },
  },
  {
    section: '6.6',
    title: 'what the permissions cover is served: a reader subscribes, reads and surfaces, a writer appends and invalidates',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const { allowed } = await seeded(kit);
      const reader = await kit.open({ token: auth.reader });
      // A pattern under the granted one is covered by it (6.6).
      reader.send({ type: 'subscribe', sub: 1, stream: CONFORMANCE_AUTH_PATTERN, from: 'end', mode: 'hot-cold', credit: 10 });
      reader.send({ type: 'subscribe', sub: 2, stream: `${GRANTED_PREFIX}${kit.run}-*`, from: 'end', mode: 'hot-cold', credit: 10 });
      await reader.expect('caught-up', { sub: 1 });
      await reader.expect('caught-up', { sub: 2 });
      const page = await kit.ask(reader, { type: 'read', stream: allowed });
      assert.deepEqual(page.type === 'page' ? page.events.map((event) => event.type) : page, ['A', 'B'], `the reader reads ${allowed}`);
      const surface = await kit.ask(reader, { type: 'surface', stream: allowed });
      assert.deepEqual(surface.type === 'page' ? surface.events.map((event) => event.data) : surface, [2], `the reader surfaces ${allowed}`);
      const writer = await kit.open({ token: auth.writer });
      const appended = await kit.append(writer, allowed, [{ id: kit.eventId(), type: 'C' }]);
      assert.deepEqual(appended.type === 'appended' ? appended.seqs : appended, [3], `the writer appends to ${allowed}`);
      const invalidated = await kit.ask(writer, { type: 'invalidate', stream: allowed, tx: 1 });
      assert.equal(invalidated.type, 'appended', `the writer invalidates tx 1 of ${allowed}: ${JSON.stringify(invalidated)}`);
      for (const sub of [1, 2]) {
        const live = await kit.collect(reader, sub, 2);
        assert.deepEqual(
          live.slice(0, 2).map((event) => [event.stream, event.type]),
          [
            [allowed, 'C'],
            [allowed, '$invalidated'],
          ],
          `sub ${sub} delivers what the writer wrote: ${JSON.stringify(live)}`,
        );
      }
      for (const peer of [reader, writer]) {
        assert.equal((await kit.ask(peer, { type: 'info' })).type, 'server-info', 'info needs no permission');
      }
    },
  },
  {
    section: '6.6',
    title: 'streams lists only the streams the session may read',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const { allowed, denied } = await seeded(kit);
      const reader = await kit.open({ token: auth.reader });
      const list = await listStreams(kit, reader, { prefix: GRANTED_PREFIX + kit.run });
      assert.deepEqual(list.streams.map((summary) => summary.stream), [allowed], `the reader lists ${allowed}: ${JSON.stringify(list)}`);
      const other = await listStreams(kit, reader, { prefix: `tauon-conf-other-${kit.run}` });
      assert.deepEqual([other.streams, other.next], [[], null], `the reader lists nothing of ${denied}: ${JSON.stringify(other)}`);
      const writer = await kit.open({ token: auth.writer });
      const none = await listStreams(kit, writer, { prefix: GRANTED_PREFIX + kit.run });
      assert.deepEqual([none.streams, none.next], [[], null], `the writer may read nothing and lists nothing: ${JSON.stringify(none)}`);
    },
  },
  {
    section: '6.6',
    title: 'streams pages of a restricted session are full while readable streams follow, and next never names another',
    needs: ['auth'],
    async run(kit) {
      const auth = authOf(kit);
      const admin = await kit.open();
      // Unreadable streams sort before the readable ones under the prefix `tauon-conf-auth`
      // ("-" < "."), and between pages: the listing must skip them and still fill each page.
      const prefix = GRANTED_PREFIX.slice(0, -1);
      const readable: string[] = [];
      for (let n = 0; n < 5; n++) {
        await kit.appendOk(admin, kit.stream(`page${n}`, `${prefix}-`), [{ id: kit.eventId(), type: 'X' }]);
        const stream = kit.stream(`page${n}`, GRANTED_PREFIX);
        await kit.appendOk(admin, stream, [{ id: kit.eventId(), type: 'X' }]);
        readable.push(stream);
      }
      const reader = await kit.open({ token: auth.reader });
      const seen: string[] = [];
      let after: string | undefined;
      // Bounded: other runs' streams lie under the same prefix too.
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 500, 'more than 500 pages of 2 streams under tauon-conf-auth: run the kit on a server with fewer of its old streams');
        const list = await listStreams(kit, reader, { prefix, limit: 2, ...(after === undefined ? {} : { after }) });
        const names = list.streams.map((summary) => summary.stream);
        const shown = JSON.stringify(list);
        assert.ok(names.every((name) => name.startsWith(GRANTED_PREFIX)), `SPEC 6.6: only readable streams are listed, got ${shown}`);
        seen.push(...names);
        if (list.next === null) break;
        assert.equal(names.length, 2, `SPEC 6.6: a page is full while readable streams follow, got ${shown}`);
        assert.equal(list.next, names.at(-1), `SPEC 6.4.9: next is the page's last stream, got ${shown}`);
        after = list.next;
      }
      const mine = seen.filter((name) => readable.includes(name));
      assert.deepEqual(mine, readable, `paging lists each readable stream once, in name order; got ${JSON.stringify(mine)}`);
    },
  },
  {
    section: '6.6',
    title: 'a session whose token expires gets error unauthorized without id or sub, then close 4001, and the token is refused after',
    needs: ['auth', 'expiring-token'],
    timeoutMs: 15_000,
    async run(kit) {
      const auth = authOf(kit);
      const token = await auth.expiring!();
      const peer = await kit.open({ token });
      // Deliberately quiet: the server closes at the expiry "whether or not frames arrive".
      const error = await peer.expect('error', {}, 8000);
      const shown = JSON.stringify(error);
      assert.equal(error.code, 'unauthorized', `SPEC 6.6: an expired token gets error {code: "unauthorized"}, got ${shown}`);
      assert.ok(!('id' in error) && !('sub' in error), `SPEC 6.6: the expiry error has no id or sub, got ${shown}`);
      const closed = await peer.waitClosed(3000);
      assert.equal(closed.code, 4001, `SPEC 6.6, 10: close 4001 after the expiry, got ${closed.code} ${closed.reason}`);
      await assertRefusedAtHello(await helloWith(kit, token), 'hello with the expired token', token);
    },
  },
];
