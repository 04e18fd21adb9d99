/** A display window in Hounsfield units: level (center) and width. */
export interface HuWindow {
  readonly name: string;
  readonly center: number;
  readonly width: number;
}

/**
 * The three windows the model sees as channels, as in the seed and the RSNA 2019 winners: brain shows
 * grey/white contrast and fresh blood, subdural separates thin extra-axial collections from bone, soft tissue
 * keeps the wider context.
 */
export const DEFAULT_WINDOWS: readonly [HuWindow, HuWindow, HuWindow] = Object.freeze([
  Object.freeze({ name: 'brain', center: 40, width: 80 }),
  Object.freeze({ name: 'subdural', center: 80, width: 200 }),
  Object.freeze({ name: 'soft-tissue', center: 40, width: 380 }),
]) as readonly [HuWindow, HuWindow, HuWindow];

/** Maps one HU value through a window to [0, 1]: (hu − (center − width/2)) / width, clamped. */
export function windowValue(hu: number, w: HuWindow): number {
  const v = (hu - (w.center - w.width / 2)) / w.width;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** HU image → float32 HWC image with one channel per window, values in [0, 1]. */
export function applyWindows(
  hu: Float32Array,
  rows: number,
  columns: number,
  windows: readonly HuWindow[] = DEFAULT_WINDOWS,
): Float32Array {
  const n = rows * columns;
  if (hu.length < n) throw new RangeError(`applyWindows: ${hu.length} values for ${rows}×${columns}`);
  const c = windows.length;
  const out = new Float32Array(n * c);
  const lows = new Float64Array(c);
  const scales = new Float64Array(c);
  windows.forEach((w, k) => {
    if (!(w.width > 0)) throw new RangeError(`window "${w.name}" has width ${w.width}`);
    lows[k] = w.center - w.width / 2;
    scales[k] = 1 / w.width;
  });
  if (c === 3) {
    // The model's case, unrolled: one sequential pass over the input and the output.
    const l0 = lows[0] as number,
      l1 = lows[1] as number,
      l2 = lows[2] as number;
    const s0 = scales[0] as number,
      s1 = scales[1] as number,
      s2 = scales[2] as number;
    for (let i = 0, o = 0; i < n; i += 1, o += 3) {
      const h = hu[i] as number;
      const a = (h - l0) * s0;
      const b = (h - l1) * s1;
      const d = (h - l2) * s2;
      out[o] = a < 0 ? 0 : a > 1 ? 1 : a;
      out[o + 1] = b < 0 ? 0 : b > 1 ? 1 : b;
      out[o + 2] = d < 0 ? 0 : d > 1 ? 1 : d;
    }
    return out;
  }
  for (let i = 0; i < n; i += 1) {
    const h = hu[i] as number;
    for (let k = 0; k < c; k += 1) {
      const v = (h - (lows[k] as number)) * (scales[k] as number);
      out[i * c + k] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

/** Parses "40/80,80/200" or "brain=40/80,..." into windows (for CLIs and configuration). */
export function parseWindows(spec: string): HuWindow[] {
  return spec.split(',').map((part, i) => {
    const m = /^\s*(?:([\w-]+)=)?\s*(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new RangeError(`window "${part}" is not LEVEL/WIDTH`);
    const width = Number(m[3]);
    if (!(width > 0)) throw new RangeError(`window "${part}" has a non-positive width`);
    return { name: m[1] ?? `w${i}`, center: Number(m[2]), width };
  });
}
