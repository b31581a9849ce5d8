import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectCodec, type Codec } from '../../protocol/codec.js';
import { TauonError } from '../../protocol/errors.js';
import { FRAME_TYPES } from '../../protocol/frames.js';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { decodeFrame, parseClientFrame, parseServerFrame } from '../../protocol/validate.js';
import {
  readVectorFiles,
  renderVectorFiles,
  type InvalidVector,
  type ValidVector,
  type VectorDirection,
} from './generate-vectors.js';

/*
 * The golden vectors in protocol/vectors/ are the contract other implementations test against;
 * these tests hold the TypeScript codecs and schemas to them, and the vectors to the generator.
 */

const files = readVectorFiles();
const valid = JSON.parse(files.valid) as ValidVector[];
const invalid = JSON.parse(files.invalid) as InvalidVector[];

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = new TextEncoder();

/** The schema check of the side that receives a frame sent in `direction`. */
function parserFor(direction: VectorDirection): (value: unknown) => unknown {
  return direction === 'client' ? parseClientFrame : parseServerFrame;
}

/** Turns an invalid vector's input into the bytes a receiver gets, and the codec it decodes them with. */
function bytesOf(vector: InvalidVector): { codec: Codec; bytes: Uint8Array } {
  switch (vector.encoding) {
    case 'json':
      return { codec: jsonCodec, bytes: utf8.encode(vector.input) };
    case 'msgpack':
      return { codec: msgpackCodec, bytes: fromHex(vector.input) };
    case 'raw': {
      const bytes = fromHex(vector.input);
      return { codec: detectCodec(bytes), bytes };
    }
  }
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the vector files', () => {
  it('are exactly what test/protocol/generate-vectors.ts builds (regenerate and commit after a change)', () => {
    const built = renderVectorFiles();
    expect(files.valid).toBe(built.valid);
    expect(files.invalid).toBe(built.invalid);
  });

  it('give every vector a unique name', () => {
    for (const list of [valid, invalid]) {
      const names = list.map((vector) => vector.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('cover every frame type, and ping and pong in both directions', () => {
    const covered = new Set(valid.map((vector) => vector.frame['type']));
    expect([...FRAME_TYPES].filter((type) => !covered.has(type))).toEqual([]);
    for (const type of ['ping', 'pong']) {
      const directions = new Set(valid.filter((vector) => vector.frame['type'] === type).map((vector) => vector.direction));
      expect(directions).toEqual(new Set(['client', 'server']));
    }
  });

  it('cover both error codes in each direction and each encoding of invalid input', () => {
    const seen = new Set(invalid.map((vector) => `${vector.direction} ${vector.code}`));
    expect(seen).toEqual(new Set(['client bad-frame', 'client unknown-frame', 'server bad-frame', 'server unknown-frame']));
    expect(new Set(invalid.map((vector) => vector.encoding))).toEqual(new Set(['json', 'msgpack', 'raw']));
  });
});

describe.each(valid)('valid vector "$name"', (vector) => {
  it('encodes to exactly its JSON text', () => {
    const bytes = jsonCodec.encode(vector.frame);
    expect(new TextDecoder().decode(bytes)).toBe(vector.json);
    expect(detectCodec(bytes).name).toBe('json');
  });

  it('encodes to exactly its msgpack bytes', () => {
    const bytes = msgpackCodec.encode(vector.frame);
    expect(toHex(bytes)).toBe(vector.msgpack);
    expect(detectCodec(bytes).name).toBe('msgpack');
  });

  it('decodes from its JSON text to the frame', () => {
    expect(decodeFrame(jsonCodec, utf8.encode(vector.json))).toStrictEqual(vector.frame);
  });

  it('decodes from its msgpack bytes to the frame', () => {
    expect(decodeFrame(msgpackCodec, fromHex(vector.msgpack))).toStrictEqual(vector.frame);
  });

  it(`is accepted by the ${vector.direction === 'client' ? 'server' : 'client'}'s schema`, () => {
    const parse = parserFor(vector.direction);
    expect(parse(decodeFrame(msgpackCodec, fromHex(vector.msgpack)))).toStrictEqual(vector.parsed ?? vector.frame);
    expect(parse(decodeFrame(jsonCodec, utf8.encode(vector.json)))).toStrictEqual(vector.parsed ?? vector.frame);
  });

  it('is refused as unknown-frame when sent the other way (except ping and pong)', () => {
    const type = vector.frame['type'];
    const wrongWay = parserFor(vector.direction === 'client' ? 'server' : 'client');
    if (type === 'ping' || type === 'pong') {
      expect(wrongWay(vector.frame)).toStrictEqual(vector.parsed ?? vector.frame);
    } else {
      const error = thrownBy(() => wrongWay(vector.frame));
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('unknown-frame');
    }
  });
});

describe.each(invalid)('invalid vector "$name"', (vector) => {
  it(`fails with ${vector.code}`, () => {
    const { codec, bytes } = bytesOf(vector);
    const parse = parserFor(vector.direction);
    const error = thrownBy(() => parse(decodeFrame(codec, bytes)));
    expect(error).toBeInstanceOf(TauonError);
    expect((error as TauonError).code).toBe(vector.code);
  });
});

describe('protocol/SPEC.md', () => {
  const spec = readFileSync(fileURLToPath(new URL('../../protocol/SPEC.md', import.meta.url)), 'utf8');

  // Every example frame in the spec is written as `C: {...}` (sent by a client) or `S: {...}`
  // (sent by a server) on a line of its own, in JSON.
  const examples = [...spec.matchAll(/^([CS]): (\{.*\})$/gm)].map((match) => {
    const direction: VectorDirection = match[1] === 'C' ? 'client' : 'server';
    return { direction, text: match[2]! };
  });

  it('has example frames', () => {
    expect(examples.length).toBeGreaterThan(40);
  });

  it.each(examples)('example $direction frame is valid and loses no field: $text', ({ direction, text }) => {
    const frame = JSON.parse(text) as unknown;
    expect(parserFor(direction)(frame)).toStrictEqual(frame);
  });

  it("shows the golden vector's real msgpack bytes in its encoding example", () => {
    const block = /<!-- encoding-example: (.+?) -->\s*```json\n(.+?)\n```\s*```text\n([0-9a-f\s]+?)```/s.exec(spec);
    expect(block).not.toBeNull();
    const [, name, jsonText, hexText] = block!;
    const vector = valid.find((candidate) => candidate.name === name);
    expect(vector).toBeDefined();
    expect(jsonText).toBe(vector!.json);
    expect(hexText!.replace(/\s+/g, '')).toBe(vector!.msgpack);
  });

  it('annotates the same msgpack bytes byte by byte', () => {
    const block = /<!-- encoding-annotated: (.+?) -->\s*```text\n(.+?)```/s.exec(spec);
    expect(block).not.toBeNull();
    const [, name, annotated] = block!;
    const vector = valid.find((candidate) => candidate.name === name);
    // Each line is hex bytes, two or more spaces, then a comment.
    const bytes = annotated!
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/)[0] ?? '')
      .join('')
      .replace(/\s+/g, '');
    expect(bytes).toBe(vector!.msgpack);
  });
});
