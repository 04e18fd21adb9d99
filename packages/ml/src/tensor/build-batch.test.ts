import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../resize/bilinear.js';
import { applyWindows, DEFAULT_WINDOWS } from '../window/windows.js';
import { batchChannels, buildBatch, type HuSlice } from './build-batch.js';

function ramp(rows: number, columns: number, offset: number): HuSlice {
  const hu = new Float32Array(rows * columns);
  for (let i = 0; i < hu.length; i += 1) hu[i] = -100 + ((i * 7 + offset) % 400);
  return { hu, rows, columns };
}

describe('buildBatch', () => {
  const slices = [ramp(20, 20, 0), ramp(20, 20, 50), ramp(20, 20, 100)];

  it('returns NHWC [count, size, size, 3] in [0, 1]', () => {
    const batch = buildBatch(slices, 1, 2, { size: 8 });
    expect(batch.length).toBe(2 * 8 * 8 * 3);
    expect(batch.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('is the three default windows of each slice, resized then windowed (the order training renders in)', () => {
    const batch = buildBatch(slices, 0, 3, { size: 8 });
    for (let b = 0; b < 3; b += 1) {
      const s = slices[b] as HuSlice;
      const expected = applyWindows(resizeBilinear(s.hu, 20, 20, 1, 8, 8), 8, 8, DEFAULT_WINDOWS);
      expect(Array.from(batch.subarray(b * 192, (b + 1) * 192))).toEqual(Array.from(expected));
    }
  });

  it('with context, channels are the brain window of slices i−1, i, i+1 (ends repeat themselves)', () => {
    const batch = buildBatch(slices, 0, 3, { size: 20, context: true });
    const brain = slices.map((s) => applyWindows(s.hu, 20, 20, [DEFAULT_WINDOWS[0]]));
    const channel = (b: number, c: number) => Array.from({ length: 400 }, (_, p) => batch[b * 1200 + p * 3 + c]);
    // Same size, so resizing is the identity.
    expect(channel(1, 0)).toEqual(Array.from(brain[0] as Float32Array));
    expect(channel(1, 1)).toEqual(Array.from(brain[1] as Float32Array));
    expect(channel(1, 2)).toEqual(Array.from(brain[2] as Float32Array));
    expect(channel(0, 0)).toEqual(Array.from(brain[0] as Float32Array));
    expect(channel(2, 2)).toEqual(Array.from(brain[2] as Float32Array));
  });

  it('supports a configurable number of windows', () => {
    expect(batchChannels({ size: 4, windows: [DEFAULT_WINDOWS[0]] })).toBe(1);
    expect(buildBatch(slices, 0, 1, { size: 4, windows: [DEFAULT_WINDOWS[0]] }).length).toBe(16);
  });

  it('refuses ranges outside the slices and bad sizes', () => {
    expect(() => buildBatch(slices, 2, 2, { size: 4 })).toThrow(RangeError);
    expect(() => buildBatch(slices, 0, 1, { size: 0 })).toThrow(RangeError);
  });
});
