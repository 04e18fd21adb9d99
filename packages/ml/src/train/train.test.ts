import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { learningRateAt, weightedBinaryCrossEntropy } from './train.js';

describe('training objective and schedule', () => {
  it('the loss is the competition metric (weights 2:1:1:1:1:1, mean over images)', () => {
    const y = tf.tensor2d([
      [1, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
    const p = tf.tensor2d([
      [0.9, 0.2, 0.6, 0.1, 0.3, 0.05],
      [0.2, 0.1, 0.1, 0.4, 0.05, 0.1],
    ]);
    const got = weightedBinaryCrossEntropy(y, p).dataSync()[0]!;
    const bce = (t: number, q: number) => -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
    const w = [2, 1, 1, 1, 1, 1];
    const yy = y.arraySync();
    const pp = p.arraySync();
    const want = yy.map((row, i) => row.reduce((s, t, k) => s + w[k]! * bce(t, pp[i]![k]!), 0) / 7);
    expect(got).toBeCloseTo((want[0]! + want[1]!) / 2, 5);
  });

  it('decays the learning rate from lr to 5% of it', () => {
    expect(learningRateAt(0, 10, 1e-3)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(9, 10, 1e-3)).toBeCloseTo(5e-5, 12);
    expect(learningRateAt(5, 10, 1e-3)).toBeLessThan(learningRateAt(4, 10, 1e-3));
  });
});
