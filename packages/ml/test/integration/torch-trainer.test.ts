import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchGenerator } from '../../src/dataset/generator.js';
import { createOnnxEngine } from '../../src/engines/onnx-engine.js';
import { readModelCard } from '../../src/model/model-dir.js';
import { loadLayersModelFromDir } from '../../src/model/tfjs-files.js';
import { buildIndexForTraining } from '../../src/train/prepare-data.js';
import { TorchProcess, torchAvailability, trainTorch } from '../../src/train/torch-trainer.js';
import { DEFAULT_WINDOWS } from '../../src/window/windows.js';
import { ichMl } from '../model/ich-ml-cli.js';

// Debian's python3-torch and python3-h5py (.ci/apt-packages.txt): present in CI; elsewhere the reason is printed.
const torch = torchAvailability();
const SIZE = 75;
let work: string;
let data: string;

describe.skipIf(!torch.ok)(`ich-ml train --trainer torch${torch.ok ? '' : ` (skipped: ${torch.reason})`}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ich-torch-'));
    data = join(work, 'data');
    // Four patients, one study each, 4 slices: 16 images with bleeds in some.
    const synth = await ichMl(['synth', '--out', data, '--studies', '4', '--slices', '4', '--size', '64']);
    expect(synth.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** The product's preprocessing (no augmentation) of every labelled slice, as one NHWC batch. */
  async function productBatch(): Promise<{ x: Float32Array; y: Float32Array; n: number }> {
    const { train } = await buildIndexForTraining({
      dataDir: data,
      labels: join(data, 'labels-rsna.csv'),
      valFraction: 0,
    });
    const generator = new BatchGenerator(train, {
      dataDir: data,
      size: SIZE,
      windows: DEFAULT_WINDOWS,
      context: false,
      batchSize: train.length,
      workers: 0,
      seed: 't',
    });
    try {
      for await (const b of generator.batches({ order: train.map((_, i) => i), augment: false }, 0)) return b;
    } finally {
      await generator.close();
    }
    throw new Error('no batch');
  }

  it('a short run on the same batch lowers the weighted log loss', async () => {
    const batch = await productBatch();
    const p = new TorchProcess({ size: SIZE, channels: 3, denseUnits: 16, dropout: 0, threads: 2, seed: 1 });
    try {
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) losses.push(await p.trainStep(batch.x, batch.y, batch.n, 1e-3));
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[5]!).toBeLessThan(losses[0]! * 0.8);
    } finally {
      await p.close();
    }
  }, 180_000);

  it('writes a model dir whose tfjs and ONNX outputs equal the torch network on the same input (1e-4)', async () => {
    const out = join(work, 'model');
    const result = await trainTorch({
      dataDir: data,
      labels: join(data, 'labels-rsna.csv'),
      out,
      size: SIZE,
      batchSize: 8,
      epochs: 1,
      valFraction: 0.25,
      workers: 0,
      denseUnits: 16,
      seed: 'parity',
    });
    expect(result.history).toHaveLength(1);
    const card = await readModelCard(out);
    expect(card.status).toBe('trained');
    expect(card.recipe?.trainer).toBe('torch');
    expect(card.inputSize).toBe(SIZE);
    expect(card.files.onnx).toBe('model.onnx');

    const batch = await productBatch();
    // The torch network as saved at its best epoch, in inference mode (BatchNorm moving statistics).
    const p = new TorchProcess({ size: SIZE, channels: 3, denseUnits: 16, dropout: 0.3, threads: 2, seed: 2 });
    let expected: Float32Array;
    try {
      await p.request({ cmd: 'load', dir: join(out, 'training', 'best') });
      expected = await p.predict(batch.x, batch.n);
    } finally {
      await p.close();
    }
    // Not saturated: a transcription error would not hide behind sigmoids pinned at 0 or 1.
    expect(expected.some((v) => v > 0.01 && v < 0.99)).toBe(true);

    const model = await loadLayersModelFromDir(out);
    const tfjsOut = tf
      .tidy(() => model.predict(tf.tensor4d(batch.x, [batch.n, SIZE, SIZE, 3])) as tf.Tensor)
      .dataSync() as Float32Array;
    model.dispose();
    const engine = await createOnnxEngine(out, card);
    const onnxOut = await engine.run(batch.x, batch.n);
    await engine.dispose();
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(tfjsOut).toHaveLength(expected.length);
    expect(maxDiff(tfjsOut, expected)).toBeLessThan(1e-4);
    expect(maxDiff(onnxOut, expected)).toBeLessThan(1e-4);
  }, 600_000);
});
