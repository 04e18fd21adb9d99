import { describe, expect, it } from 'vitest';
import type { RescaleAttributes } from '../dicom/types.js';
import { toHounsfield } from '../hu/to-hounsfield.js';
import { planResize, resizeBilinear } from '../resize/bilinear.js';
import { synthStudy } from '../synth/study.js';
import { applyWindows, DEFAULT_WINDOWS, type HuWindow } from '../window/windows.js';
import { buildBatch } from './build-batch.js';
import { huInt16 } from './hu-int16.js';
import { huPlane, resizeWindowInto } from './resize-window.js';
import { windowResizeInto } from './window-resize.js';

/** The unfused reference in the fused path's order: full HU image, resized, then windowed (three arrays). */
function unfused(hu: Float32Array, rows: number, columns: number, size: number, windows: readonly HuWindow[]) {
  const resized = resizeBilinear(hu, rows, columns, 1, size, size);
  return applyWindows(resized, size, size, windows);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

const phantom = synthStudy({ seed: 'fused', slices: 3, size: 512, bleed: 'subdural' });
const signed: RescaleAttributes = { bitsStored: 16, pixelRepresentation: 1, rescaleSlope: 1, rescaleIntercept: 0 };

describe('resizeWindowInto (the fused kernel)', () => {
  it('equals resize-then-window of toHounsfield within 1e-6 on a 512² phantom → 299² (stored int16 read per tap)', () => {
    for (const file of phantom.files.slice(0, 2)) {
      const stored = file.hu; // the phantom's HU as int16 stored values with slope 1, intercept 0
      const plane = huPlane(stored, signed);
      expect(plane).not.toBeInstanceOf(Float32Array);
      const fused = new Float32Array(299 * 299 * 3);
      resizeWindowInto([plane, plane, plane], DEFAULT_WINDOWS, planResize(512, 512, 299, 299), fused, 0);
      const want = unfused(toHounsfield(stored, signed), 512, 512, 299, DEFAULT_WINDOWS);
      expect(maxAbsDiff(fused, want)).toBeLessThanOrEqual(1e-6);
      // Not a constant image: all three windows carry structure.
      expect(new Set(fused).size).toBeGreaterThan(1000);
    }
  });

  it('applies a non-unit slope per tap exactly as toHounsfield rounds it (int16 and uint16 containers)', () => {
    const rows = 37;
    const columns = 53;
    const s16 = Int16Array.from({ length: rows * columns }, (_, i) => ((i * 7919) % 5000) - 2000);
    const u16 = Uint16Array.from(s16, (v) => v + 2000);
    const cases: [Int16Array | Uint16Array, RescaleAttributes][] = [
      [s16, { bitsStored: 16, pixelRepresentation: 1, rescaleSlope: 0.37, rescaleIntercept: -3.3 }],
      [u16, { bitsStored: 16, pixelRepresentation: 0, rescaleSlope: 1, rescaleIntercept: -3024 }],
      [u16, { bitsStored: 16, pixelRepresentation: 0, rescaleSlope: 1.5, rescaleIntercept: -1024.25 }],
    ];
    for (const [values, attrs] of cases) {
      const plane = huPlane(values, attrs);
      const out = new Float32Array(20 * 20 * 3);
      resizeWindowInto([plane, plane, plane], DEFAULT_WINDOWS, planResize(rows, columns, 20, 20), out, 0);
      expect(maxAbsDiff(out, unfused(toHounsfield(values, attrs), rows, columns, 20, DEFAULT_WINDOWS))).toBe(0);
    }
  });

  it('reads BitsStored 12 values directly when they are all in range, else masks them like toHounsfield', () => {
    const inRange = Int16Array.from({ length: 40 * 40 }, (_, i) => ((i * 131) % 4096) - 2048);
    const bits12: RescaleAttributes = {
      bitsStored: 12,
      pixelRepresentation: 1,
      rescaleSlope: 1,
      rescaleIntercept: -24,
    };
    const direct = huPlane(inRange, bits12);
    expect(direct).not.toBeInstanceOf(Float32Array);
    const stray = Int16Array.from(inRange);
    stray[7] = 4100; // a bit above BitsStored (an overlay bit in old files): toHounsfield masks it off
    const masked = huPlane(stray, bits12);
    expect(masked).toBeInstanceOf(Float32Array);
    for (const [values, plane] of [
      [inRange, direct],
      [stray, masked],
    ] as const) {
      const out = new Float32Array(16 * 16 * 3);
      resizeWindowInto([plane, plane, plane], DEFAULT_WINDOWS, planResize(40, 40, 16, 16), out, 0);
      expect(maxAbsDiff(out, unfused(toHounsfield(values, bits12), 40, 40, 16, DEFAULT_WINDOWS))).toBe(0);
    }
  });

  it('falls back to toHounsfield for masked bits and the RSNA quirk, with the same pixels', () => {
    const values = Uint16Array.from({ length: 30 * 30 }, (_, i) => ((i * 97) % 4096) | (i % 3 === 0 ? 0x8000 : 0));
    const quirk: RescaleAttributes = { bitsStored: 12, pixelRepresentation: 0, rescaleSlope: 1, rescaleIntercept: 0 };
    const plane = huPlane(values, quirk);
    expect(plane).toBeInstanceOf(Float32Array);
    const out = new Float32Array(16 * 16 * 3);
    resizeWindowInto([plane, plane, plane], DEFAULT_WINDOWS, planResize(30, 30, 16, 16), out, 0);
    expect(maxAbsDiff(out, unfused(toHounsfield(values, quirk), 30, 30, 16, DEFAULT_WINDOWS))).toBe(0);
  });

  it('with distinct sources per channel (neighbour context), resizes each and windows it', () => {
    const hus = phantom.files.map((f) => toHounsfield(f.hu, signed));
    const brain = DEFAULT_WINDOWS[0];
    const out = new Float32Array(64 * 64 * 3);
    resizeWindowInto(hus, [brain, brain, brain], planResize(512, 512, 64, 64), out, 0);
    hus.forEach((hu, c) => {
      const want = unfused(hu, 512, 512, 64, [brain]);
      const got = Float32Array.from({ length: 64 * 64 }, (_, p) => out[p * 3 + c] as number);
      expect(maxAbsDiff(got, want)).toBe(0);
    });
  });

  it('buildBatch uses it (resize, then window)', () => {
    const hu = toHounsfield(phantom.files[1]?.hu as Int16Array, signed);
    const batch = buildBatch([{ hu, rows: 512, columns: 512 }], 0, 1, { size: 299 });
    expect(maxAbsDiff(batch, unfused(hu, 512, 512, 299, DEFAULT_WINDOWS))).toBe(0);
  });

  it('differs from the former window-then-resize order only at clip edges, by a bounded amount', () => {
    const hu = toHounsfield(phantom.files[1]?.hu as Int16Array, signed);
    const plan = planResize(512, 512, 299, 299);
    const before = new Float32Array(299 * 299 * 3);
    windowResizeInto([hu, hu, hu], DEFAULT_WINDOWS, plan, before, 0);
    const after = new Float32Array(before.length);
    resizeWindowInto([hu, hu, hu], DEFAULT_WINDOWS, plan, after, 0);
    let changed = 0;
    for (let i = 0; i < before.length; i += 1) if (before[i] !== after[i]) changed += 1;
    // Where all four taps lie inside a window the orders agree (up to rounding); they part where a tap is clipped.
    expect(changed / before.length).toBeLessThan(0.2);
    expect(maxAbsDiff(before, after)).toBeGreaterThan(0.01);
    expect(maxAbsDiff(before, after)).toBeLessThanOrEqual(1);
  });
});

describe('huInt16', () => {
  it('is the HU as int16: exact for slope 1, rounded otherwise, the RSNA quirk corrected', () => {
    const values = Int16Array.of(-2000, 0, 1234, 32000);
    expect(Array.from(huInt16(values, { ...signed, rescaleIntercept: -1024 }))).toEqual([-3024, -1024, 210, 30976]);
    expect(Array.from(huInt16(values, { ...signed, rescaleSlope: 0.5 }))).toEqual([-1000, 0, 617, 16000]);
    const quirk: RescaleAttributes = { bitsStored: 12, pixelRepresentation: 0, rescaleSlope: 1, rescaleIntercept: 0 };
    const raw = Uint16Array.of(0, 3096, 4095);
    expect(Array.from(huInt16(raw, quirk))).toEqual(Array.from(toHounsfield(raw, quirk)));
  });
});
