import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resizeBilinear } from './bilinear.js';

// The reference is TensorFlow.js itself (CPU backend): production pixels must equal what tfjs-trained models saw.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function randomImage(h: number, w: number, c: number, seed: number): Float32Array {
  const out = new Float32Array(h * w * c);
  let s = seed;
  for (let i = 0; i < out.length; i += 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2000 - 1000;
  }
  return out;
}

function tfResize(src: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  return tf
    .tidy(() => tf.image.resizeBilinear(tf.tensor3d(src, [h, w, c]), [oh, ow]).dataSync() as Float32Array)
    .slice();
}

describe('resizeBilinear', () => {
  const cases: [number, number, number, number, number][] = [
    [512, 512, 3, 299, 299],
    [64, 48, 3, 299, 299],
    [37, 53, 1, 16, 20],
    [10, 10, 2, 10, 10],
    [5, 7, 3, 23, 11],
  ];
  it.each(cases)('matches tf.image.resizeBilinear for %i×%i×%i → %i×%i', (h, w, c, oh, ow) => {
    const src = randomImage(h, w, c, h * 31 + w);
    const ours = resizeBilinear(src, h, w, c, oh, ow);
    const ref = tfResize(src, h, w, c, oh, ow);
    expect(ours.length).toBe(ref.length);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i += 1)
      maxDiff = Math.max(maxDiff, Math.abs((ours[i] as number) - (ref[i] as number)));
    // float32 rounding only: values span ±1000, so 1e-3 absolute is ~1e-6 relative.
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('writes into a batch at an offset without touching the rest', () => {
    const src = randomImage(8, 8, 3, 1);
    const out = new Float32Array(2 * 4 * 4 * 3).fill(-7);
    resizeBilinear(src, 8, 8, 3, 4, 4, out, 48);
    expect(out.subarray(0, 48).every((v) => v === -7)).toBe(true);
    expect(Array.from(out.subarray(48))).toEqual(Array.from(resizeBilinear(src, 8, 8, 3, 4, 4)));
  });

  it('refuses a source shorter than its stated shape', () => {
    expect(() => resizeBilinear(new Float32Array(10), 4, 4, 1, 2, 2)).toThrow(RangeError);
  });
});
