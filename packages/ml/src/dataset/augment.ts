import type { Rng } from '../synth/random.js';
import { cachedResizePlan, resizeWindowInto } from '../tensor/resize-window.js';
import type { HuWindow } from '../window/windows.js';

/**
 * Training augmentation as one geometric map plus a window jitter, applied while the slice is windowed and resized
 * (no intermediate image): horizontal flip, a small rotation, shift and zoom about the image centre, and a shift of
 * each window's centre and width (scanners and readers differ in both).
 */
export interface Augmentation {
  readonly flip: boolean;
  /** Rotation in radians. */
  readonly angle: number;
  /** Zoom factor (> 1 enlarges the anatomy). */
  readonly zoom: number;
  /** Shift as a fraction of the image side. */
  readonly dx: number;
  readonly dy: number;
  /** Added to each window centre (HU). */
  readonly centerShift: number;
  /** Multiplies each window width. */
  readonly widthScale: number;
}

export const IDENTITY: Augmentation = { flip: false, angle: 0, zoom: 1, dx: 0, dy: 0, centerShift: 0, widthScale: 1 };

/** The ranges the trainer draws from: ±10°, ±6% shift, zoom 0.9–1.1, window centre ±10 HU, width ±10%. */
export function randomAugmentation(rng: Rng): Augmentation {
  return {
    flip: rng.next() < 0.5,
    angle: rng.range(-10, 10) * (Math.PI / 180),
    zoom: rng.range(0.9, 1.1),
    dx: rng.range(-0.06, 0.06),
    dy: rng.range(-0.06, 0.06),
    centerShift: rng.range(-10, 10),
    widthScale: rng.range(0.9, 1.1),
  };
}

/** HU outside the scanned field: air. */
const OUTSIDE_HU = -1024;

/**
 * Renders one slice (one HU source per channel, all rows × columns) into `out` at `offset` as size × size × C,
 * values in [0, 1], in the inference order: HU interpolated bilinearly, then windowed. With IDENTITY this IS the
 * inference preprocessing (`resizeWindowInto`, the kernel `buildBatch` uses), so a model trains on what it will
 * see; with an augmentation the geometry changes but the order and the float32 rounding of the interpolated HU do
 * not.
 */
export function renderAugmented(
  sources: readonly Float32Array[],
  rows: number,
  columns: number,
  windows: readonly HuWindow[],
  size: number,
  aug: Augmentation,
  out: Float32Array,
  offset: number,
): void {
  const identity = aug.angle === 0 && aug.zoom === 1 && aug.dx === 0 && aug.dy === 0 && !aug.flip;
  const jittered = windows.map((w) => ({
    name: w.name,
    center: w.center + aug.centerShift,
    width: w.width * aug.widthScale,
  }));
  if (identity) {
    resizeWindowInto(sources, jittered, cachedResizePlan(rows, columns, size, size), out, offset);
    return;
  }
  const channels = sources.length;
  const lows = jittered.map((w) => w.center - w.width / 2);
  const scales = jittered.map((w) => 1 / w.width);
  const cos = Math.cos(aug.angle) / aug.zoom;
  const sin = Math.sin(aug.angle) / aug.zoom;
  const fround = Math.fround;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output pixel → centred unit coordinates → inverse of (flip, rotate, zoom, shift) → source pixel.
      let u = x / size - 0.5 - aug.dx;
      const v = y / size - 0.5 - aug.dy;
      if (aug.flip) u = -u;
      const sx = (cos * u + sin * v + 0.5) * columns;
      const sy = (-sin * u + cos * v + 0.5) * rows;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const inside = x0 >= 0 && y0 >= 0 && x0 < columns && y0 < rows;
      const x1 = Math.min(x0 + 1, columns - 1);
      const y1 = Math.min(y0 + 1, rows - 1);
      const o = offset + (y * size + x) * channels;
      for (let c = 0; c < channels; c++) {
        const src = sources[c]!;
        let h = OUTSIDE_HU;
        if (inside) {
          const tl = src[y0 * columns + x0]!;
          const tr = src[y0 * columns + x1]!;
          const bl = src[y1 * columns + x0]!;
          const br = src[y1 * columns + x1]!;
          const t = tl + (tr - tl) * fx;
          const b = bl + (br - bl) * fx;
          h = fround(t + (b - t) * fy);
        }
        const w = (h - lows[c]!) * scales[c]!;
        out[o + c] = w < 0 ? 0 : w > 1 ? 1 : w;
      }
    }
  }
}
