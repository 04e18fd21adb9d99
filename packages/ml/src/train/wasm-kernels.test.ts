import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const cases: [string, number[], number[], number, 'valid' | 'same'][] = [
  ['3x3 stride 2 valid', [2, 9, 11, 3], [3, 3, 3, 4], 2, 'valid'],
  ['3x3 stride 1 same', [2, 7, 7, 5], [3, 3, 5, 6], 1, 'same'],
  ['1x7 same', [1, 8, 9, 4], [1, 7, 4, 3], 1, 'same'],
  ['7x1 same', [1, 8, 9, 4], [7, 1, 4, 3], 1, 'same'],
  ['1x1 pointwise', [3, 5, 5, 6], [1, 1, 6, 7], 1, 'valid'],
  ['5x5 same', [1, 6, 6, 2], [5, 5, 2, 3], 1, 'same'],
];

describe('convolution gradients on wasm', () => {
  it.each(cases)('%s: filter and input gradients match the cpu backend', async (_name, xShape, wShape, stride, pad) => {
    const xv = Float32Array.from({ length: xShape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.37));
    const wv = Float32Array.from({ length: wShape.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 0.11));
    const grad = (): Float32Array =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
        const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
        const g = tf.grad((f) =>
          tf
            .conv2d(x, f as tf.Tensor4D, stride, pad)
            .square()
            .sum(),
        )(w);
        return g.dataSync() as Float32Array;
      });
    const wasm = grad();
    await tf.setBackend('cpu');
    const cpu = grad();
    await tf.setBackend('wasm');
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < cpu.length; i++)
      expect(Math.abs(wasm[i]! - cpu[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]!)));
  });
});
