import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { RefusedFrameError } from '../../protocol/errors.js';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { decodeClientFrame } from '../../protocol/decode-client-frame.js';
import { parseClientFrame } from '../../protocol/validate.js';

const text = (json: string): Uint8Array => new TextEncoder().encode(json);
const append = (data: string): string => `{"type":"append","id":7,"stream":"s","events":[{"type":"T","data":${data}}]}`;

/** The refusal `decode` throws, checked to be bad-frame naming the request. */
function refusalOf(decode: () => unknown): RefusedFrameError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(RefusedFrameError);
    const refused = error as RefusedFrameError;
    expect(refused.code).toBe('bad-frame');
    expect((refused.value as { id?: number }).id).toBe(7);
    return refused;
  }
  throw new Error('the frame was not refused');
}

describe('decodeClientFrame', () => {
  it('refuses JSON numbers past the double range (Infinity, delivered as null) with bad-frame', () => {
    for (const huge of ['1e400', '-1E+309', `1${'0'.repeat(309)}`, '{"a":[1.5e999]}']) {
      // Decoded (so the session's answer names request 7), then refused by the schema of data.
      const frame = decodeClientFrame(jsonCodec, text(append(huge)));
      expect(frame).toMatchObject({ id: 7 });
      expect(() => parseClientFrame(frame)).toThrow(/not a finite number/);
      expect(() => parseClientFrame(frame)).toThrow(expect.objectContaining({ code: 'bad-frame' }) as Error);
    }
  });

  it('takes large, tiny and long JSON numbers that are doubles', () => {
    for (const number of ['1e300', '-1.7976931348623157e308', '1e-400', `0.${'1'.repeat(400)}`, `"e999"`]) {
      expect(parseClientFrame(decodeClientFrame(jsonCodec, text(append(number))))).toMatchObject({ type: 'append', id: 7 });
    }
  });

  it('refuses msgpack extensions but the timestamp, naming the request', () => {
    const packr = new Packr({ useRecords: false, moreTypes: true });
    const frame = (data: unknown) => packr.pack({ type: 'append', id: 7, stream: 's', events: [{ type: 'T', data }] });
    expect(refusalOf(() => decodeClientFrame(msgpackCodec, frame(new Set([1]))) ).message).toMatch(/extension/);
    expect(refusalOf(() => decodeClientFrame(msgpackCodec, frame({ gone: undefined })) ).message).toMatch(/extension/);
    expect(decodeClientFrame(msgpackCodec, frame({ when: new Date(5) }))).toMatchObject({ id: 7 });
  });
});
