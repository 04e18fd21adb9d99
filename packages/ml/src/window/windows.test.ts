import { describe, expect, it } from 'vitest';
import { applyWindows, DEFAULT_WINDOWS, parseWindows, windowValue } from './windows.js';

describe('windows', () => {
  it('defaults to brain 40/80, subdural 80/200, soft tissue 40/380', () => {
    expect(DEFAULT_WINDOWS.map((w) => [w.center, w.width])).toEqual([
      [40, 80],
      [80, 200],
      [40, 380],
    ]);
  });

  it('maps the window to [0, 1] and clamps outside it', () => {
    const brain = DEFAULT_WINDOWS[0];
    expect(windowValue(0, brain)).toBe(0);
    expect(windowValue(40, brain)).toBe(0.5);
    expect(windowValue(80, brain)).toBe(1);
    expect(windowValue(-1000, brain)).toBe(0);
    expect(windowValue(1500, brain)).toBe(1);
  });

  it('produces HWC channels, one per window', () => {
    const hu = Float32Array.of(-20, 40, 60, 270);
    const out = applyWindows(hu, 2, 2);
    expect(out.length).toBe(12);
    // pixel 1 (40 HU): brain 0.5, subdural (40+20)/200 = 0.3, soft (40+150)/380 = 0.5
    expect(out[3]).toBeCloseTo(0.5, 6);
    expect(out[4]).toBeCloseTo(0.3, 6);
    expect(out[5]).toBeCloseTo(0.5, 6);
    // pixel 3 (270 HU): brain 1, subdural 1, soft (270+150)/380 clamped to 1
    expect(Array.from(out.subarray(9))).toEqual([1, 1, 1]);
    expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('parses window specifications and rejects bad ones', () => {
    expect(parseWindows('brain=40/80, 80/200')).toEqual([
      { name: 'brain', center: 40, width: 80 },
      { name: 'w1', center: 80, width: 200 },
    ]);
    expect(() => parseWindows('40')).toThrow(RangeError);
    expect(() => parseWindows('40/0')).toThrow(RangeError);
    expect(() => applyWindows(new Float32Array(4), 2, 2, [{ name: 'x', center: 0, width: 0 }])).toThrow(RangeError);
  });
});
