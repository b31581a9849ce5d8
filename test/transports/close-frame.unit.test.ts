import { describe, expect, it } from 'vitest';
import { closeFrameReason, closeWithCode, isSendableCloseCode } from '../../transports/ws/close-frame.js';

const utf8 = new TextEncoder();

describe('closeFrameReason', () => {
  it('keeps a reason that fits in 123 bytes', () => {
    expect(closeFrameReason('server closing')).toBe('server closing');
    expect(closeFrameReason('x'.repeat(123))).toBe('x'.repeat(123));
  });

  it('cuts a longer reason to 123 bytes on a character boundary', () => {
    const cut = closeFrameReason('é'.repeat(100));
    expect(utf8.encode(cut).byteLength).toBe(122);
    expect(cut).toBe('é'.repeat(61));
    expect(closeFrameReason('🙂'.repeat(40))).toBe('🙂'.repeat(30));
  });
});

describe('isSendableCloseCode', () => {
  it('accepts the codes a close frame may carry and refuses reserved ones', () => {
    for (const code of [1000, 1001, 1009, 1011, 3000, 4000, 4999]) expect(isSendableCloseCode(code)).toBe(true);
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) expect(isSendableCloseCode(code)).toBe(false);
  });
});

describe('closeWithCode', () => {
  /** Records close calls and, like a browser, refuses codes other than 1000 and 3000-4999. */
  type CloseCall = [number | undefined, string | undefined];

  function browserLikeSocket(): { calls: CloseCall[]; close(code?: number, reason?: string): void } {
    const calls: CloseCall[] = [];
    return {
      calls,
      close(code?: number, reason?: string): void {
        if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
          throw new Error('InvalidAccessError');
        }
        calls.push([code, reason]);
      },
    };
  }

  it('sends the code when the socket takes it', () => {
    const socket = browserLikeSocket();
    expect(closeWithCode(socket, 4000, 'silent')).toEqual({ code: 4000, reason: 'silent' });
    expect(socket.calls).toEqual([[4000, 'silent']]);
  });

  it('falls back to 1000 when the socket refuses the code', () => {
    const socket = browserLikeSocket();
    expect(closeWithCode(socket, 1009, 'too large')).toEqual({ code: 1000, reason: 'too large' });
    expect(socket.calls).toEqual([[1000, 'too large']]);
  });

  it('never hands a reserved code to the socket', () => {
    const socket = browserLikeSocket();
    expect(closeWithCode(socket, 1006, 'lost')).toEqual({ code: 1000, reason: 'lost' });
    expect(socket.calls).toEqual([[1000, 'lost']]);
  });
});
