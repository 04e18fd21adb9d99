import type { RescaleAttributes, StoredArray } from '../dicom/types.js';
import { hasRsnaQuirk, toHounsfield } from '../hu/to-hounsfield.js';
import { planResize, type ResizePlan } from '../resize/bilinear.js';
import type { HuWindow } from '../window/windows.js';

/**
 * The HU plane of one slice, as the fused kernel reads it: either HU already in float32, or the stored integers
 * of the common CT case (a full-width 16-bit container whose signedness matches PixelRepresentation, no RSNA
 * quirk) with the modality rescale applied per tap, so that no full-resolution HU image is ever made.
 */
export type HuPlane = Float32Array | StoredHuPlane;

export interface StoredHuPlane {
  readonly values: Int16Array | Uint16Array;
  readonly slope: number;
  readonly intercept: number;
}

/**
 * Stored values → the plane the kernel reads: the stored integers themselves when `toHounsfield` would only
 * rescale them (the common CT case: a 16-bit container of the right signedness, and BitsStored 16 or every value
 * already inside BitsStored's range, so masking and sign extension change nothing), else `toHounsfield`'s float32
 * HU (masking, sign extension, RSNA quirk). Either way the kernel sees exactly the HU `toHounsfield` gives.
 */
export function huPlane(values: StoredArray, a: RescaleAttributes): HuPlane {
  const signed = a.pixelRepresentation === 1;
  const container = (signed && values instanceof Int16Array) || (!signed && values instanceof Uint16Array);
  if (container && !hasRsnaQuirk(a) && a.bitsStored >= 1 && a.bitsStored <= 16 && inStoredRange(values, a))
    return { values: values as Int16Array | Uint16Array, slope: a.rescaleSlope, intercept: a.rescaleIntercept };
  return toHounsfield(values, a);
}

/** True when every value already lies in the range BitsStored (and the sign) allows. */
function inStoredRange(values: StoredArray, a: RescaleAttributes): boolean {
  if (a.bitsStored === 16) return true;
  const min = a.pixelRepresentation === 1 ? -(2 ** (a.bitsStored - 1)) : 0;
  const max = a.pixelRepresentation === 1 ? 2 ** (a.bitsStored - 1) - 1 : 2 ** a.bitsStored - 1;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (v < min || v > max) return false;
  }
  return true;
}

const plans = new Map<string, ResizePlan>();

/** The bilinear taps (rows and columns, indices and weights) for one geometry, computed once and kept. */
export function cachedResizePlan(inH: number, inW: number, outH: number, outW: number): ResizePlan {
  const key = `${inH}x${inW}>${outH}x${outW}`;
  let plan = plans.get(key);
  if (!plan) {
    // A handful of geometries per process in practice; a bound keeps a stream of odd sizes from growing the map.
    if (plans.size >= 64) plans.clear();
    plan = planResize(inH, inW, outH, outW);
    plans.set(key, plan);
  }
  return plan;
}

let rowScratch = new Float32Array(0);

/**
 * THE preprocessing kernel of inference and training (`buildBatch`, `renderAugmented` with no augmentation):
 * bilinear resize of the HU plane (tf.image.resizeBilinear semantics, `planResize`), then the windows, written
 * straight into the NHWC output at `outOffset`. Channel k reads `sources[k]` through `windows[k]`; consecutive
 * channels with the same source (the three windows of one slice) share one resized row, so a slice is resized
 * once and windowed three times on the small image.
 *
 * Bit for bit `applyWindows(resizeBilinear(toHounsfield(stored)))` per channel: every HU tap is rounded to
 * float32 as `toHounsfield` stores it, the interpolation runs in double and is rounded to float32 as
 * `resizeBilinear` stores it, and the window is applied as `applyWindows` does. The only buffers are one output
 * row per distinct source (reused between calls).
 */
export function resizeWindowInto(
  sources: readonly HuPlane[],
  windows: readonly HuWindow[],
  plan: ResizePlan,
  out: Float32Array,
  outOffset: number,
): void {
  const channels = sources.length;
  if (windows.length !== channels) throw new RangeError(`${channels} sources but ${windows.length} windows`);
  const { inH, inW, outH, outW } = plan;
  const distinct: HuPlane[] = [];
  const sourceIndex = sources.map((s) => {
    const at = distinct.indexOf(s);
    if (at >= 0) return at;
    const length = s instanceof Float32Array ? s.length : s.values.length;
    if (length < inH * inW) throw new RangeError(`an HU plane has ${length} values for ${inH}×${inW}`);
    distinct.push(s);
    return distinct.length - 1;
  });
  if (out.length < outOffset + outH * outW * channels)
    throw new RangeError(`output too small for ${outH}×${outW}×${channels} at ${outOffset}`);
  if (rowScratch.length < distinct.length * outW) rowScratch = new Float32Array(distinct.length * outW);
  const rows = distinct.map((_, i) => rowScratch.subarray(i * outW, (i + 1) * outW));
  const lows = new Float64Array(channels);
  const scales = new Float64Array(channels);
  windows.forEach((w, k) => {
    if (!(w.width > 0)) throw new RangeError(`window "${w.name}" has width ${w.width}`);
    lows[k] = w.center - w.width / 2;
    scales[k] = 1 / w.width;
  });
  const single = distinct.length === 1 && channels === 3;
  const row0 = rows[0] as Float32Array;
  for (let y = 0; y < outH; y += 1) {
    for (let s = 0; s < distinct.length; s += 1) resizeRow(distinct[s] as HuPlane, plan, y, rows[s] as Float32Array);
    let o = outOffset + y * outW * channels;
    if (single) {
      // The model's case, unrolled: one resized row, three windows.
      const l0 = lows[0] as number;
      const l1 = lows[1] as number;
      const l2 = lows[2] as number;
      const s0 = scales[0] as number;
      const s1 = scales[1] as number;
      const s2 = scales[2] as number;
      for (let x = 0; x < outW; x += 1, o += 3) {
        const h = row0[x] as number;
        const a = (h - l0) * s0;
        const b = (h - l1) * s1;
        const d = (h - l2) * s2;
        out[o] = a < 0 ? 0 : a > 1 ? 1 : a;
        out[o + 1] = b < 0 ? 0 : b > 1 ? 1 : b;
        out[o + 2] = d < 0 ? 0 : d > 1 ? 1 : d;
      }
      continue;
    }
    for (let x = 0; x < outW; x += 1, o += channels) {
      for (let k = 0; k < channels; k += 1) {
        const h = (rows[sourceIndex[k] as number] as Float32Array)[x] as number;
        const v = (h - (lows[k] as number)) * (scales[k] as number);
        out[o + k] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
}

/** Output row y of the resized HU plane into `row` (float32, as resizeBilinear stores it). */
function resizeRow(source: HuPlane, plan: ResizePlan, y: number, row: Float32Array): void {
  const { inW, outW, y0, y1, fy, x0, x1, fx } = plan;
  const top = (y0[y] as number) * inW;
  const bottom = (y1[y] as number) * inW;
  const wy = fy[y] as number;
  if (source instanceof Float32Array) {
    for (let x = 0; x < outW; x += 1) {
      const l = x0[x] as number;
      const r = x1[x] as number;
      const wx = fx[x] as number;
      const tl = source[top + l] as number;
      const tr = source[top + r] as number;
      const bl = source[bottom + l] as number;
      const br = source[bottom + r] as number;
      // Same association as resizeBilinear (and tfjs' CPU kernel): along x on both rows, then along y.
      const t = tl + (tr - tl) * wx;
      const b = bl + (br - bl) * wx;
      row[x] = t + (b - t) * wy;
    }
    return;
  }
  const { values, slope, intercept } = source;
  if (slope === 1 && Number.isInteger(intercept) && Math.abs(intercept) < 2 ** 23) {
    // Integer HU below 2^24 are exact in float32: toHounsfield's rounding is the identity, so skip it.
    for (let x = 0; x < outW; x += 1) {
      const l = x0[x] as number;
      const r = x1[x] as number;
      const wx = fx[x] as number;
      const tl = (values[top + l] as number) + intercept;
      const tr = (values[top + r] as number) + intercept;
      const bl = (values[bottom + l] as number) + intercept;
      const br = (values[bottom + r] as number) + intercept;
      const t = tl + (tr - tl) * wx;
      const b = bl + (br - bl) * wx;
      row[x] = t + (b - t) * wy;
    }
    return;
  }
  const fround = Math.fround;
  for (let x = 0; x < outW; x += 1) {
    const l = x0[x] as number;
    const r = x1[x] as number;
    const wx = fx[x] as number;
    const tl = fround((values[top + l] as number) * slope + intercept);
    const tr = fround((values[top + r] as number) * slope + intercept);
    const bl = fround((values[bottom + l] as number) * slope + intercept);
    const br = fround((values[bottom + r] as number) * slope + intercept);
    const t = tl + (tr - tl) * wx;
    const b = bl + (br - bl) * wx;
    row[x] = t + (b - t) * wy;
  }
}
