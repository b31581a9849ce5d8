import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../../client/index.js';
import { WrongExpectedVersionError } from '../../../protocol/errors.js';
import type { StartPosition } from '../../../protocol/frames.js';
import type { RunningServer } from '../../support/harness.js';

/**
 * The client's API against a running reference server: emits and acks, every start position
 * and mode, filters, patterns, reads, surface, streams, info, invalidate. Each test gets a fresh
 * server (and store) from `start`.
 */
export function clientApiSuite(label: string, start: () => Promise<RunningServer>): void {
  describe(`client API: ${label}`, () => {
    let running: RunningServer;
    let client: Client;
    beforeEach(async () => {
      running = await start();
      client = await connect(running.transport);
    });
    afterEach(async () => {
      await client.close();
      await running.close();
    });

    it('acks emits in order with dense seqs, one tx per emit call', async () => {
      const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => client.emit('orders', { type: 'Placed', data: { i } })));
      expect(acks.map((ack) => ack.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const positions = acks.map((ack) => ack.pos);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      const batch = await client.emit('orders', [{ type: 'A' }, { type: 'B' }]);
      expect(batch.seqs).toEqual([21, 22]);
      const events = await firstValueFrom(client.replay('orders').pipe(toArray()));
      expect(events.map((event) => event.data)).toEqual([...Array.from({ length: 20 }, (_, i) => ({ i })), undefined, undefined]);
    });

    it('rejects an emit whose expected version fails with the actual version', async () => {
      await client.emit('accounts', { type: 'Opened' });
      const failure = await client.emit('accounts', { type: 'Opened' }, { expected: 'none' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WrongExpectedVersionError);
      expect((failure as WrongExpectedVersionError).actual).toBe(1);
      const ok = await client.emit('accounts', { type: 'Credited' }, { expected: 1 });
      expect(ok.seq).toBe(2);
    });

    it('returns the original positions when an event id is emitted again', async () => {
      const first = await client.emit('ids', { id: 'fixed-1', type: 'Once' });
      const again = await client.emit('ids', { id: 'fixed-1', type: 'Once' });
      expect(again.seq).toBe(first.seq);
      expect(again.duplicates).toEqual([true]);
    });

    it('replays from every start position, cold and hot-cold', async () => {
      const seed = async (stream: string) => {
        await client.emit(stream, Array.from({ length: 10 }, (_, i) => ({ id: `${stream}-${i + 1}`, type: 'T', data: i + 1 })));
        return (await client.read(stream, { limit: 10 })).events;
      };
      const cases: [string, (all: { seq: number; recorded: number }[], stream: string) => [StartPosition, number[]]][] = [
        ['start', () => ['start', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]],
        ['after', () => [{ after: 6 }, [7, 8, 9, 10]]],
        ['at', () => [{ at: 6 }, [6, 7, 8, 9, 10]]],
        ['event', (_, stream) => [{ event: `${stream}-8` }, [9, 10]]],
        // Several events can share a millisecond: the replay starts at the first recorded at or after it.
        ['time', (all) => [{ time: all[3]!.recorded }, all.filter((event) => event.recorded >= all[3]!.recorded).map((event) => event.seq)]],
        ['end', () => ['end', []]],
      ];
      for (const [label, make] of cases) {
        const stream = `start-${label}`;
        const [from, seqs] = make(await seed(stream), stream);
        const cold = await firstValueFrom(client.replay(stream, { from }).pipe(toArray()));
        expect(cold.map((event) => event.seq), label).toEqual(seqs);
        const live = firstValueFrom(client.subscribe(stream, { from, mode: 'hot-cold' }).pipe(take(seqs.length + 1), toArray()));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const ack = await client.emit(stream, { type: 'T', data: 'live' });
        expect((await live).map((event) => event.seq), label).toEqual([...seqs, ack.seq]);
      }
    });

    it('hot subscriptions see only what commits after they start', async () => {
      await client.emit('hot', { type: 'Before' });
      const items = firstValueFrom(client.feed('hot', { mode: 'hot' }).pipe(take(2), toArray()));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await client.emit('hot', { type: 'After' });
      const [signal, item] = await items;
      expect(signal).toMatchObject({ kind: 'caught-up', at: 1 });
      expect(item).toMatchObject({ kind: 'event', event: { type: 'After', seq: 2 } });
    });

    it('filters by type and key, follows patterns and $all', async () => {
      await client.emit('shop.eu', [{ type: 'Sold', key: 'k1' }, { type: 'Refunded', key: 'k1' }]);
      await client.emit('shop.us', { type: 'Sold', key: 'k2' });
      await client.emit('other', { type: 'Sold', key: 'k1' });
      const sold = await firstValueFrom(client.replay('$all', { filter: { types: ['Sold'], keys: ['k1'] } }).pipe(toArray()));
      expect(sold.map((event) => event.stream)).toEqual(['shop.eu', 'other']);
      const shops = await firstValueFrom(client.replay('shop.*').pipe(toArray()));
      expect(shops.map((event) => `${event.stream}:${event.type}`)).toEqual(['shop.eu:Sold', 'shop.eu:Refunded', 'shop.us:Sold']);
      const everything = await firstValueFrom(client.replay('$all').pipe(toArray()));
      expect(everything.map((event) => `${event.stream}:${event.type}`)).toEqual([
        'shop.eu:Sold',
        'shop.eu:Refunded',
        'shop.us:Sold',
        'other:Sold',
      ]);
      const positions = everything.map((event) => event.pos);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });

    it('reads pages both ways, surfaces keys, lists streams and describes the server', async () => {
      await client.emit('prices', [
        { type: 'Price', key: 'eur', data: 1 },
        { type: 'Price', key: 'usd', data: 2 },
        { type: 'Price', key: 'eur', data: 3 },
      ]);
      const forward = await client.read('prices', { limit: 2 });
      expect(forward.events.map((event) => event.seq)).toEqual([1, 2]);
      const rest = await client.read('prices', { from: forward.next!, limit: 2 });
      expect(rest.events.map((event) => event.seq)).toEqual([3]);
      expect(rest.next).toBeNull();
      const backward = await client.read('prices', { direction: 'backward', limit: 2 });
      expect(backward.events.map((event) => event.seq)).toEqual([3, 2]);
      const surface = await client.surface('prices');
      expect(surface.map((event) => [event.key, event.data])).toEqual([
        ['usd', 2],
        ['eur', 3],
      ]);
      const list = await client.streams();
      expect(list.streams.map((summary) => [summary.stream, summary.head])).toEqual([['prices', 3]]);
      const info = await client.info();
      expect(info.version).toBe(1);
      expect(info.stores).toEqual([running.store.kind]);
    });

    it('invalidates a transaction, seen by subscribers in order', async () => {
      const ack = await client.emit('ledger', [{ type: 'Debited' }, { type: 'Credited' }]);
      const marker = await client.invalidate('ledger', ack.tx, 'typo');
      expect(marker.seq).toBe(3);
      const events = await firstValueFrom(client.replay('ledger').pipe(toArray()));
      expect(events.map((event) => event.type)).toEqual(['Debited', 'Credited', '$invalidated']);
      expect(events[2]!.data).toEqual({ tx: ack.tx, reason: 'typo' });
    });
  });
}
