import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/arguments.js';
import { emit } from '../../cli/client-commands.js';
import { startServer } from '../support/harness.js';

/*
 * `tauon emit --condition JSON` (SPEC 5.8.1), run in this process against a ws server: the
 * command passes the condition on, prints the ack when it holds, fails with the server's
 * condition-failed when it does not, and refuses a malformed one before connecting.
 */

describe('tauon emit --condition', () => {
  it('writes when the condition holds, fails condition-failed when it does not, and refuses a malformed one', async () => {
    const running = await startServer('ws');
    try {
      // A ws transport describes itself by its URL.
      const address = running.transport.description;
      expect(address).toMatch(/^ws:\/\//);
      const lines: string[] = [];
      const out = (line: string): void => {
        lines.push(line);
      };
      await emit(['--url', address, '--key', 'seat-7', 'seats.a', 'SeatReserved'], out);
      const first = JSON.parse(lines[0]!) as { pos: number };
      const condition = (after: number) => JSON.stringify({ stream: 'seats.*', types: ['SeatReserved'], keys: ['seat-7'], after });
      await emit(['--url', address, '--key', 'seat-7', '--condition', condition(first.pos), 'seats.b', 'SeatReserved'], out);
      expect(JSON.parse(lines[1]!)).toMatchObject({ stream: 'seats.b', seq: 1 });
      await expect(emit(['--url', address, '--key', 'seat-7', '--condition', condition(first.pos), 'seats.c', 'SeatReserved'], out)).rejects.toMatchObject({
        code: 'condition-failed',
        details: { stream: 'seats.c', pos: first.pos + 1 },
      });
      await expect(emit(['--url', address, '--condition', '{"stream":"seats.*","types":[]}', 'seats.d', 'T'], out)).rejects.toBeInstanceOf(UsageError);
      await expect(emit(['--url', address, '--condition', 'not json', 'seats.d', 'T'], out)).rejects.toBeInstanceOf(UsageError);
      expect(await running.store.streamInfo('seats.c')).toBeUndefined();
      expect(await running.store.streamInfo('seats.d')).toBeUndefined();
    } finally {
      await running.close();
    }
  });
});
