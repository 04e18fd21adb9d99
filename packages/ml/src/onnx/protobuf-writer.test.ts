import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './protobuf-writer.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints, floats, strings and nested messages as protobuf does', () => {
    // The protobuf documentation's examples: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
  });

  it('writes negative int64 as ten bytes and large lengths as multi-byte varints', () => {
    expect(hex(new ProtoWriter().varint(1, -1).finish())).toBe('08ffffffffffffffffff01');
    const big = new Uint8Array(300);
    const out = new ProtoWriter().bytes(9, big).finish();
    expect(hex(out.subarray(0, 3))).toBe('4aac02');
    expect(out.byteLength).toBe(303);
  });

  it('reports the encoded length before finishing, including pending bytes', () => {
    const w = new ProtoWriter().varint(1, 1).bytes(2, new Uint8Array(5)).varint(3, 300);
    expect(w.length).toBe(w.finish().byteLength);
  });
});
