import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ichMl } from '../../test/model/ich-ml-cli.js';
import { readModelCard } from '../model/model-dir.js';
import { learningRateAt, train, weightedBinaryCrossEntropy } from './train.js';

let work: string;
let data: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ich-train-'));
  data = join(work, 'data');
  // Two patients, one study each, 3 slices: 6 images, a bleed in one of them.
  const synth = await ichMl([
    'synth',
    '--out',
    data,
    '--studies',
    '2',
    '--slices',
    '3',
    '--size',
    '48',
    '--seed',
    'tr',
  ]);
  expect(synth.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

const base = () => ({
  dataDir: data,
  labels: join(data, 'labels-rsna.csv'),
  size: 75,
  batchSize: 6,
  valFraction: 0,
  workers: 0,
  seed: 'unit',
  denseUnits: 16,
  backend: 'wasm',
});

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

describe('ich-ml train', () => {
  it('a short run on a tiny synthetic set lowers the loss and writes a complete trained model dir', async () => {
    const out = join(work, 'short');
    const result = await train({ ...base(), out, epochs: 4, lr: 1e-3, augment: false, dropout: 0, patience: 10 });
    expect(result.backend).toBe('wasm');
    const losses = result.history.map((h) => h.trainLoss);
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]!);
    const card = await readModelCard(out);
    expect(card.status).toBe('trained');
    expect(card.inputSize).toBe(75);
    expect(card.files.onnx).toBe('model.onnx');
    expect(card.trainingData).toMatch(/6 training/);
    const log = (await readFile(join(out, 'training', 'log.jsonl'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(4);
    expect(JSON.parse(log[0]!)).toMatchObject({ epoch: 0, backend: 'wasm' });
    expect(PNG.sync.read(await readFile(join(out, 'training', 'curve.png'))).width).toBeGreaterThan(100);
  }, 300_000);

  it('checkpoint + resume gives the same weights as an uninterrupted run (same seed)', async () => {
    const options = { ...base(), epochs: 2, lr: 1e-3, writeModel: false, oversample: 2 };
    const whole = await train({ ...options, out: join(work, 'whole') });
    const first = await train({ ...options, out: join(work, 'resumed'), stopAfterEpochs: 1 });
    expect(first.state.epoch).toBe(1);
    const resumed = await train({ ...options, out: join(work, 'resumed'), resume: true });
    expect(resumed.state.epoch).toBe(2);
    expect(resumed.state.globalStep).toBe(whole.state.globalStep);
    expect(resumed.finalWeights).toHaveLength(whole.finalWeights.length);
    let worst = 0;
    whole.finalWeights.forEach((w, i) => {
      const r = resumed.finalWeights[i]!;
      for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(w[k]! - r[k]!));
    });
    expect(worst).toBe(0);
  }, 300_000);
});
