import type { RescaleAttributes, StoredArray } from '../dicom/types.js';
import { toHounsfield } from '../hu/to-hounsfield.js';
import { huPlane } from './resize-window.js';

/**
 * Stored values → HU as int16, the input of the graph preprocessing (ONNX prologue, tfjs ops): half the bytes of
 * float32 to move to a GPU. Exact whenever the HU are integers in int16's range — CT with RescaleSlope 1, i.e.
 * practically all CT; otherwise rounded to the nearest HU and clamped to ±32767.
 */
export function huInt16(values: StoredArray, a: RescaleAttributes, out = new Int16Array(values.length)): Int16Array {
  const plane = huPlane(values, a);
  if (!(plane instanceof Float32Array) && plane.slope === 1 && Number.isInteger(plane.intercept)) {
    const { values: v, intercept } = plane;
    for (let i = 0; i < v.length; i += 1) {
      const h = (v[i] as number) + intercept;
      out[i] = h < -32768 ? -32768 : h > 32767 ? 32767 : h;
    }
    return out;
  }
  const hu = plane instanceof Float32Array ? plane : toHounsfield(values, a);
  for (let i = 0; i < hu.length; i += 1) {
    const h = Math.round(hu[i] as number);
    out[i] = h < -32768 ? -32768 : h > 32767 ? 32767 : h;
  }
  return out;
}
