import assert from 'node:assert/strict';
import type { CodecName } from '../../../protocol/codec.js';
import type { WelcomeFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';

/** The `welcome` of a fresh connection in `codec` (the kit's `open` keeps it to itself). */
async function welcomeOf(kit: KitContext, codec: CodecName): Promise<WelcomeFrame> {
  const peer = await kit.connect(codec);
  peer.send(kit.hello());
  return peer.expect('welcome');
}

/** `store` of a welcome, checked: a string of 1 to 256 characters (SPEC 6.5.1). */
function storeOf(welcome: WelcomeFrame): string {
  const store: unknown = welcome.store;
  assert.ok(
    typeof store === 'string' && store.length >= 1 && store.length <= 256,
    `welcome MUST name the store's identity in store, a string of 1 to 256 characters (6.5.1); got ${JSON.stringify(welcome)}`,
  );
  return store;
}

/** Cases of SPEC.md 6.5.1 and 6.5.10: the identity of the server's store. */
export const IDENTITY_CASES: readonly ConformanceCase[] = [
  {
    section: '6.5.1',
    title: 'welcome names the store, the same on every connection, in both encodings',
    async run(kit) {
      const first = storeOf(kit.welcome);
      for (const codec of ['msgpack', 'json', 'msgpack'] as const) {
        const welcome = await welcomeOf(kit, codec);
        assert.equal(
          storeOf(welcome),
          first,
          `every connection to a server of one store MUST get the same welcome.store; the kit's first connection got ${first}, a ${codec} one ${JSON.stringify(welcome)}`,
        );
      }
    },
  },
  {
    section: '6.5.10',
    title: 'server-info names the same store and server as the welcome of its connection',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.connect(codec);
        peer.send(kit.hello());
        const welcome = await peer.expect('welcome');
        const info = await kit.ask(peer, { type: 'info' });
        assert.equal(info.type, 'server-info', `info is answered server-info, got ${JSON.stringify(info)}`);
        if (info.type !== 'server-info') return;
        assert.equal(info.store, storeOf(welcome), `server-info.store MUST be welcome.store (6.5.10); welcome ${JSON.stringify(welcome)}, server-info ${JSON.stringify(info)}`);
        assert.equal(info.server, welcome.server, `server-info.server MUST be welcome.server (6.5.10); welcome ${JSON.stringify(welcome)}, server-info ${JSON.stringify(info)}`);
      }
    },
  },
];
