import { describe, expect, it } from 'vitest';
import { hasRsnaQuirk, toHounsfield, valueStats } from './to-hounsfield.js';

const attrs = (bitsStored: number, pixelRepresentation: number, rescaleSlope = 1, rescaleIntercept = 0) => ({
  bitsStored,
  pixelRepresentation,
  rescaleSlope,
  rescaleIntercept,
});

describe('toHounsfield', () => {
  it('applies slope and intercept to signed 16-bit values', () => {
    expect(Array.from(toHounsfield(Int16Array.of(-2000, 0, 1024, 3000), attrs(16, 1, 1, -1024)))).toEqual([
      -3024, -1024, 0, 1976,
    ]);
    expect(Array.from(toHounsfield(Int16Array.of(10, -10), attrs(16, 1, 0.5, 3)))).toEqual([8, -2]);
  });

  it('reads unsigned 16-bit values as unsigned', () => {
    expect(Array.from(toHounsfield(Uint16Array.of(0, 65535, 1024), attrs(16, 0, 1, -1024)))).toEqual([-1024, 64511, 0]);
  });

  it('sign-extends from BitsStored when PixelRepresentation is 1', () => {
    // 12-bit two's complement: 0xFFF = −1, 0x800 = −2048, 0x7FF = 2047.
    expect(Array.from(toHounsfield(Uint16Array.of(0xfff, 0x800, 0x7ff, 5), attrs(12, 1)))).toEqual([
      -1, -2048, 2047, 5,
    ]);
  });

  it('masks bits above BitsStored (overlay bits in old files)', () => {
    expect(Array.from(toHounsfield(Uint16Array.of(0xf005, 0x1fff), attrs(12, 0, 1, -1024)))).toEqual([
      5 - 1024,
      4095 - 1024,
    ]);
  });

  it('handles 8-bit and 32-bit stored values', () => {
    expect(Array.from(toHounsfield(Uint8Array.of(0, 255), attrs(8, 0, 2, -100)))).toEqual([-100, 410]);
    expect(Array.from(toHounsfield(Int8Array.of(-128, 127), attrs(8, 1)))).toEqual([-128, 127]);
    expect(Array.from(toHounsfield(Int32Array.of(-70000, 70000), attrs(32, 1)))).toEqual([-70000, 70000]);
    expect(Array.from(toHounsfield(Uint32Array.of(4000000000), attrs(32, 0)))).toEqual([4000000000]);
  });

  describe('RSNA 12-bit wrap quirk', () => {
    // Reference: the correction the RSNA 2019 community used (x = px + 1000; x[x >= 4096] -= 4096; intercept = −1000),
    // written here in the simplest possible form.
    const reference = (px: number, slope: number) => {
      let x = px + 1000;
      if (x >= 4096) x -= 4096;
      return x * slope - 1000;
    };

    it('is detected only for BitsStored 12, PixelRepresentation 0 and intercept > −100', () => {
      expect(hasRsnaQuirk(attrs(12, 0, 1, 0))).toBe(true);
      expect(hasRsnaQuirk(attrs(12, 0, 1, -99))).toBe(true);
      expect(hasRsnaQuirk(attrs(12, 0, 1, -1024))).toBe(false);
      expect(hasRsnaQuirk(attrs(12, 1, 1, 0))).toBe(false);
      expect(hasRsnaQuirk(attrs(16, 0, 1, 0))).toBe(false);
    });

    it('wraps values at 4096 as the community correction does', () => {
      const stored = Uint16Array.of(0, 40, 1000, 3095, 3096, 4000, 4095);
      const hu = toHounsfield(stored, attrs(12, 0, 1, 0));
      expect(Array.from(hu)).toEqual(Array.from(stored, (v) => reference(v, 1)));
      // Air written as 12-bit two's complement (−1000 → 3096) comes back as −1000 HU, brain (40) as 40 HU.
      expect(hu[4]).toBe(-1000);
      expect(hu[1]).toBe(40);
    });

    it('can be switched off', () => {
      expect(Array.from(toHounsfield(Uint16Array.of(3096), attrs(12, 0, 1, 0), { rsnaQuirk: false }))).toEqual([3096]);
    });
  });
});

describe('valueStats', () => {
  it('computes min, max and mean', () => {
    expect(valueStats(Float32Array.of(-1, 3, 4))).toEqual({ min: -1, max: 4, mean: 2 });
    expect(valueStats(new Float32Array(0))).toEqual({ min: 0, max: 0, mean: 0 });
  });
});
