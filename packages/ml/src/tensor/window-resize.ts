import type { ResizePlan } from '../resize/bilinear.js';
import type { HuWindow } from '../window/windows.js';

/**
 * The former preprocessing order, kept to measure the change (the benchmark's `orderChange` and
 * `orderEffectOnModel`, `resize-window.test.ts`); the product resizes, then windows (`resizeWindowInto`).
 * Windowing and bilinear resizing in one pass: for each output pixel, window the four source HU samples and
 * interpolate. Bit-for-bit the same as `resizeBilinear(applyWindows(...))` (windowed values are rounded to
 * float32 as the two-step path stores them), but without the full-resolution intermediate image: about twice as
 * fast, and no 3 MB allocation per 512² slice.
 *
 * Channel k reads `sources[k]` through `windows[k]` (all sources share the plan's input shape), which covers both
 * the three-windows-of-one-slice and the neighbour-context layouts.
 */
export function windowResizeInto(
  sources: readonly Float32Array[],
  windows: readonly HuWindow[],
  plan: ResizePlan,
  out: Float32Array,
  outOffset: number,
): void {
  const channels = sources.length;
  const { inW, outH, outW, y0, y1, fy, x0, x1, fx } = plan;
  const lows = windows.map((w) => w.center - w.width / 2);
  const scales = windows.map((w) => 1 / w.width);
  const fround = Math.fround;
  for (let c = 0; c < channels; c += 1) {
    const src = sources[c] as Float32Array;
    const low = lows[c] as number;
    const scale = scales[c] as number;
    const win = (h: number): number => {
      const v = (h - low) * scale;
      return fround(v < 0 ? 0 : v > 1 ? 1 : v);
    };
    let o = outOffset + c;
    for (let y = 0; y < outH; y += 1) {
      const top = (y0[y] as number) * inW;
      const bottom = (y1[y] as number) * inW;
      const wy = fy[y] as number;
      for (let x = 0; x < outW; x += 1) {
        const left = x0[x] as number;
        const right = x1[x] as number;
        const wx = fx[x] as number;
        const tl = win(src[top + left] as number);
        const tr = win(src[top + right] as number);
        const bl = win(src[bottom + left] as number);
        const br = win(src[bottom + right] as number);
        const t = tl + (tr - tl) * wx;
        const b = bl + (br - bl) * wx;
        out[o] = t + (b - t) * wy;
        o += channels;
      }
    }
  }
}
