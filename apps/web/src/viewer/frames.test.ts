import { describe, expect, it } from 'vitest';
import { firstPart, formatsFromMetadata, range, typedPixels } from './frames';

describe('decoded frames', () => {
  it('reads signed and unsigned 16-bit little-endian pixels', () => {
    const buf = new ArrayBuffer(8);
    new DataView(buf).setInt16(0, -1024, true);
    new DataView(buf).setInt16(2, 80, true);
    const format = { rows: 2, columns: 2, bitsAllocated: 16, pixelRepresentation: 1, slope: 1, intercept: 0 };
    expect(Array.from(typedPixels(buf, format))).toEqual([-1024, 80, 0, 0]);
    expect(Array.from(typedPixels(buf, { ...format, pixelRepresentation: 0 }))).toEqual([64512, 80, 0, 0]);
    expect(() => typedPixels(new ArrayBuffer(6), format)).toThrow(/expected 8/);
  });

  it('takes the first part of a multipart/related answer and leaves a bare body alone', () => {
    const enc = new TextEncoder();
    const body = enc.encode('--b1\r\nContent-Type: application/octet-stream\r\n\r\nABCD\r\n--b1--\r\n');
    const part = firstPart(
      body.buffer as ArrayBuffer,
      'multipart/related; type="application/octet-stream"; boundary=b1',
    );
    expect(new TextDecoder().decode(part)).toBe('ABCD');
    expect(firstPart(enc.encode('RAW').buffer as ArrayBuffer, 'application/octet-stream').byteLength).toBe(3);
  });

  it('computes the value range and reads formats from DICOM JSON', () => {
    expect(range(new Int16Array([3, -7, 12]))).toEqual({ min: -7, max: 12 });
    const formats = formatsFromMetadata([
      {
        '00080018': { Value: ['1.2.3'] },
        '00280010': { Value: [512] },
        '00280011': { Value: [256] },
        '00280100': { Value: [16] },
        '00280103': { Value: [1] },
        '00281052': { Value: ['-1024'] },
        '00281053': { Value: ['1'] },
        '00280030': { Value: [0.5, 0.6] },
      },
    ]);
    expect(formats.get('1.2.3')).toEqual({
      rows: 512,
      columns: 256,
      bitsAllocated: 16,
      pixelRepresentation: 1,
      intercept: -1024,
      slope: 1,
      spacing: [0.5, 0.6],
    });
  });
});
