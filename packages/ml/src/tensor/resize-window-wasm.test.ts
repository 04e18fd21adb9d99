import { describe, expect, it } from 'vitest';
import { planResize } from '../resize/bilinear.js';
import { synthStudy } from '../synth/study.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { resizeWindowInto, type StoredHuPlane } from './resize-window.js';
import { loadResizeWindowWasm } from './resize-window-wasm.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const phantom = synthStudy({ seed: 'wasm', slices: 1, size: 512, bleed: 'subdural' }).files[0]!.hu;

describe('resize-window wasm SIMD kernel', () => {
  it('equals the JavaScript kernel within 1e-6 (int16 and uint16, even and odd output widths, at an offset)', async () => {
    const wasm = await loadResizeWindowWasm();
    const u16 = Uint16Array.from(phantom, (v) => v + 1024);
    const planes: StoredHuPlane[] = [
      { values: phantom, slope: 1, intercept: 0 },
      { values: u16, slope: 1, intercept: -1024 },
    ];
    for (const plane of planes)
      for (const size of [299, 64, 61]) {
        const plan = planResize(512, 512, size, size);
        const px = size * size * 3;
        const got = new Float32Array(2 * px).fill(-1);
        expect(wasm.run(plane, DEFAULT_WINDOWS, plan, got, px)).toBe(true);
        const want = new Float32Array(2 * px).fill(-1);
        resizeWindowInto([plane, plane, plane], DEFAULT_WINDOWS, plan, want, px);
        expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-6);
        expect(got.subarray(0, px).every((v) => v === -1)).toBe(true);
        expect(new Set(got.subarray(px)).size).toBeGreaterThan(100);
      }
  });

  it('declines what it does not cover: a non-unit slope, an upscale (clamped right tap), other window counts', async () => {
    const wasm = await loadResizeWindowWasm();
    const out = new Float32Array(600 * 600 * 3);
    const plan = planResize(512, 512, 299, 299);
    expect(wasm.run({ values: phantom, slope: 0.5, intercept: 0 }, DEFAULT_WINDOWS, plan, out, 0)).toBe(false);
    expect(wasm.run({ values: phantom, slope: 1, intercept: 0.5 }, DEFAULT_WINDOWS, plan, out, 0)).toBe(false);
    expect(wasm.run({ values: phantom, slope: 1, intercept: 0 }, DEFAULT_WINDOWS.slice(0, 2), plan, out, 0)).toBe(
      false,
    );
    const up = planResize(512, 512, 600, 600);
    expect(wasm.run({ values: phantom, slope: 1, intercept: 0 }, DEFAULT_WINDOWS, up, out, 0)).toBe(false);
  });
});
