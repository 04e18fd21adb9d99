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
export function applyWindows(hu: Float32Array, rows: number, columns: number, windows: readonly HuWindow[] = DEFAULT_WINDOWS): Float32Array {
  const n = rows * columns;
  if (hu.length < n) throw new RangeError(`applyWindows: ${hu.length} values for ${rows}×${columns}`);
  const c = windows.length;
  const out = new Float32Array(n * c);
  for (let k = 0; k < c; k += 1) {
    const w = windows[k] as HuWindow;
    if (!(w.width > 0)) throw new RangeError(`window "${w.name}" has width ${w.width}`);
    const low = w.center - w.width / 2;
    const scale = 1 / w.width;
    for (let i = 0; i < n; i += 1) {
      const v = ((hu[i] as number) - low) * scale;
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
