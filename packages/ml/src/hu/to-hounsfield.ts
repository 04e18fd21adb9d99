import type { RescaleAttributes, StoredArray } from '../dicom/types.js';

export interface HounsfieldOptions {
  /**
   * Apply the RSNA 2019 correction (default true): some scanners wrote PixelRepresentation 0 with BitsStored 12
   * and an intercept near 0, although the values are offset signed data that wrap at 4096. The community fix
   * (used by the competition's winners) is: v = stored + 1000, v ≥ 4096 → v − 4096, intercept := −1000.
   */
  readonly rsnaQuirk?: boolean;
}

/** True when the RSNA 12-bit wrap correction applies to these attributes. */
export function hasRsnaQuirk(a: RescaleAttributes): boolean {
  return a.bitsStored === 12 && a.pixelRepresentation === 0 && a.rescaleIntercept > -100;
}

/**
 * Stored values → Hounsfield units (the modality rescale): keep the low BitsStored bits, sign-extend them when
 * PixelRepresentation is 1, then value × RescaleSlope + RescaleIntercept. Stray bits above BitsStored (overlays
 * in old files) are masked off rather than trusted.
 */
export function toHounsfield(values: StoredArray, a: RescaleAttributes, options: HounsfieldOptions = {}): Float32Array {
  const n = values.length;
  const out = new Float32Array(n);
  const slope = a.rescaleSlope;
  const bits = a.bitsStored;
  if ((options.rsnaQuirk ?? true) && hasRsnaQuirk(a)) {
    for (let i = 0; i < n; i += 1) {
      let v = ((values[i] as number) & 0xfff) + 1000;
      if (v >= 4096) v -= 4096;
      out[i] = v * slope - 1000;
    }
    return out;
  }
  const intercept = a.rescaleIntercept;
  const fullWidth =
    (bits === 16 && (values instanceof Int16Array || values instanceof Uint16Array)) ||
    (bits === 8 && (values instanceof Int8Array || values instanceof Uint8Array));
  const signed = a.pixelRepresentation === 1;
  if (fullWidth && signed === (values instanceof Int16Array || values instanceof Int8Array)) {
    // The container already has the right width and signedness: no masking needed (the common CT case).
    for (let i = 0; i < n; i += 1) out[i] = (values[i] as number) * slope + intercept;
    return out;
  }
  if (bits >= 32) {
    for (let i = 0; i < n; i += 1) {
      const raw = values[i] as number;
      out[i] = (signed ? raw | 0 : raw >>> 0) * slope + intercept;
    }
    return out;
  }
  const mask = 2 ** bits - 1;
  const sign = 2 ** (bits - 1);
  const range = 2 ** bits;
  for (let i = 0; i < n; i += 1) {
    let v = (values[i] as number) & mask;
    if (signed && v >= sign) v -= range;
    out[i] = v * slope + intercept;
  }
  return out;
}

export interface ValueStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export function valueStats(values: Float32Array): ValueStats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return values.length === 0 ? { min: 0, max: 0, mean: 0 } : { min, max, mean: sum / values.length };
}
