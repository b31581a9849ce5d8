import { describe, expect, it, vi } from 'vitest';
import { TauonError, WrongExpectedVersionError } from '../../protocol/errors.js';
import {
  formatInternalError,
  InternalError,
  InternalErrors,
  stderrErrorLog,
  type InternalErrorRecord,
} from '../../server-reference/internal-errors.js';

describe('InternalErrors', () => {
  it('passes the errors of other codes on as they are, and logs nothing for them', () => {
    const log: InternalErrorRecord[] = [];
    const errors = new InternalErrors((record) => log.push(record));
    const conflict = new WrongExpectedVersionError('s', 'none', 3);
    expect(errors.expose(conflict, 'append')).toBe(conflict);
    const notFound = new TauonError('not-found', 'no such event');
    expect(errors.expose(notFound, 'read')).toBe(notFound);
    expect(log).toEqual([]);
  });

  it('turns an internal TauonError or any other throw into a generic error with an id, logged once', () => {
    const log: InternalErrorRecord[] = [];
    const errors = new InternalErrors((record) => log.push(record));
    const library = new RangeError('Maximum call stack size exceeded');
    const wrapped = new TauonError('internal', `lmdb store: ${String(library)}`, { cause: library });
    for (const [error, context] of [
      [wrapped, 'append'],
      [library, 'read'],
      ['a string thrown', 'frame'],
    ] as const) {
      const exposed = errors.expose(error, context);
      expect(exposed).toBeInstanceOf(InternalError);
      expect(exposed.code).toBe('internal');
      const { errorId } = exposed as InternalError;
      expect(errorId).toMatch(/^[0-9a-f]{16}$/);
      expect(exposed.message).toBe(`internal error, id ${errorId}`);
      expect(exposed.details).toEqual({ errorId });
      expect(log.at(-1)).toEqual({ errorId, context, error });
    }
    expect(new Set(log.map((record) => record.errorId)).size).toBe(3);
  });

  it('keeps one id for one failure answered many times, and does not log an exposed error again', () => {
    const log: InternalErrorRecord[] = [];
    const errors = new InternalErrors((record) => log.push(record));
    const failure = new Error('disk gone');
    const first = errors.expose(failure, 'append');
    expect(errors.expose(failure, 'append')).toBe(first);
    expect(errors.expose(first, 'HTTP POST /streams/x/events')).toBe(first);
    // As the HTTP API rebuilds it from the engine's error frame.
    const fromFrame = new TauonError('internal', first.message, { details: { ...first.details } });
    expect(errors.expose(fromFrame, 'HTTP POST /streams/x/events')).toBe(fromFrame);
    expect(log).toHaveLength(1);
  });

  it('survives a log that throws', () => {
    const errors = new InternalErrors(() => {
      throw new Error('log full');
    });
    expect(errors.expose(new Error('x'), 'read').code).toBe('internal');
  });
});

describe('the internal error log line', () => {
  it('is one JSON line with the id, the context, the stack and the causes', () => {
    const cause = new RangeError('Maximum call stack size exceeded');
    const error = new TauonError('internal', 'lmdb store: the append was not committed', { cause });
    const line = formatInternalError({ errorId: '3f2a9c0d1e2b3a4c', context: 'append', error }, new Date(Date.UTC(2026, 10, 2)));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-02T00:00:00.000Z',
      level: 'error',
      msg: 'internal error',
      errorId: '3f2a9c0d1e2b3a4c',
      context: 'append',
      error: {
        name: 'TauonError',
        message: 'lmdb store: the append was not committed',
        code: 'internal',
        stack: expect.stringContaining('internal-errors.unit.test.ts') as unknown,
        cause: { name: 'RangeError', message: 'Maximum call stack size exceeded', stack: expect.stringContaining('RangeError') as unknown },
      },
    });
  });

  it('goes to stderr by default', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      stderrErrorLog({ errorId: 'abc', context: 'read', error: 'thrown text' });
      expect(write).toHaveBeenCalledTimes(1);
      const text = String(write.mock.calls[0]![0]);
      expect(text.endsWith('\n')).toBe(true);
      expect(JSON.parse(text)).toMatchObject({ errorId: 'abc', context: 'read', error: 'thrown text' });
    } finally {
      write.mockRestore();
    }
  });
});
