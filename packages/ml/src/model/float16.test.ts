import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { testBatch } from '../../test/model/model-fixture.js';
import { buildClassifier } from './classifier.js';
import { DEFAULT_MODEL_CONFIG } from './config.js';
import { applySeededWeights } from './seeded-weights.js';
import { float32ToFloat16, loadLayersModelFromDir, saveLayersModel } from './tfjs-files.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const shardBytes = async (dir: string) => {
  let total = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.bin')) total += (await stat(join(dir, f))).size;
  return total;
};

describe('float16 weights', () => {
  it('encodes IEEE half precision, rounding to nearest even', () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(-2)).toBe(0xc000);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(1e6)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(0.1)).toBe(0x2e66);
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float32ToFloat16(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('a model saved as float16 is half the size and predicts what the float32 one does', async () => {
    await tf.setBackend('cpu');
    const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 75, denseUnits: 16 });
    applySeededWeights(model, 4);
    const full = await mkdtemp(join(tmpdir(), 'ich-f32-'));
    const half = await mkdtemp(join(tmpdir(), 'ich-f16-'));
    dirs.push(full, half);
    await saveLayersModel(model, full);
    // Saving float16 over a float32 save leaves only the new shards.
    await saveLayersModel(model, half);
    await saveLayersModel(model, half, { weights: 'float16' });
    expect(await shardBytes(half)).toBe((await shardBytes(full)) / 2);
    const a = await loadLayersModelFromDir(full);
    const b = await loadLayersModelFromDir(half);
    const x = tf.tensor4d(testBatch(2, 75, 3), [2, 75, 75, 3]);
    const pa = (a.predict(x) as tf.Tensor).dataSync();
    const pb = (b.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i]! - pb[i]!)).toBeLessThan(0.02);
    model.dispose();
    a.dispose();
    b.dispose();
    x.dispose();
  }, 120_000);
});
