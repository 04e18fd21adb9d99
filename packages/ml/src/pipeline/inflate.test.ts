import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { boundedInflateRaw, MAX_INFLATED_BYTES } from './inflate.js';

describe('boundedInflateRaw', () => {
  it('inflates data within the cap', () => {
    expect([...boundedInflateRaw(deflateRawSync(Buffer.alloc(1000, 7)), 1000)]).toEqual(Array(1000).fill(7));
  });

  it('refuses a deflate bomb with FILE_TOO_LARGE instead of inflating it whole', () => {
    // 8 MB of zeros deflate to about 8 kB: the ratio a zip bomb uses.
    const bomb = deflateRawSync(Buffer.alloc(8_000_000));
    expect(() => boundedInflateRaw(bomb, 1_000_000)).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
  });

  it('caps a data set at the size of the largest file read (512 MiB), not 1 GiB', () => {
    expect(MAX_INFLATED_BYTES).toBe(512 * 1024 * 1024);
  });

  it('calls corrupt data BAD_DICOM', () => {
    expect(() => boundedInflateRaw(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(
      expect.objectContaining({ code: 'BAD_DICOM' }),
    );
  });
});
