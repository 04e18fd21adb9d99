import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelCard } from '../../../src/model/model-dir.js';
import { train } from '../../../src/train/train.js';
import { ichMl } from '../../model/ich-ml-cli.js';

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
