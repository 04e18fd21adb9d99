import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeError } from '../../test/model/model-fixture.js';
import { buildClassifier } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG } from '../model/config.js';
import { applySeededWeights } from '../model/seeded-weights.js';
import { synthStudy } from '../synth/study.js';
import { buildBatch } from '../tensor/build-batch.js';
import { preprocessTensor } from '../tensor/preprocess-tfjs.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { exportLayersModelToOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-layers-model.js';
import { exportPrologueToOnnx, PROLOGUE_INPUT_NAME } from './preprocess-prologue.js';

const sessions: ort.InferenceSession[] = [];
async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  for (const s of sessions) await s.release();
});

// Phantom HU (slope 1, intercept 0: the int16 values are the HU) for two slices, and the CPU kernel's batch.
const study = synthStudy({ seed: 'prologue', slices: 2, size: 512, bleed: 'intraparenchymal' });
const hu = new Int16Array(2 * 512 * 512);
for (const [i, f] of study.files.entries()) hu.set(f.hu, i * 512 * 512);
const cpu = (size: number) =>
  buildBatch(
    study.files.map((f) => ({ hu: Float32Array.from(f.hu), rows: 512, columns: 512 })),
    0,
    2,
    { size },
  );

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('preprocessing as graph operations', () => {
  it('the ONNX prologue (int16 HU → NHWC windows) equals the CPU kernel within 1e-3 (float32 coordinates)', async () => {
    const s = await session(exportPrologueToOnnx({ size: 299, windows: DEFAULT_WINDOWS }));
    const out = await s.run({ [PROLOGUE_INPUT_NAME]: new ort.Tensor('int16', hu, [2, 512, 512]) });
    const got = out[ONNX_INPUT_NAME]!;
    expect(got.dims).toEqual([2, 299, 299, 3]);
    const want = cpu(299);
    // onnxruntime computes the sample coordinate x·(in/out) in float32 (~3e-5 px off at x = 512); on a skull edge
    // (~2000 HU per pixel) that is ~0.03 HU, 3e-4 of the brain window's width. Elsewhere the sums differ in float32 rounding only (< 1e-5).
    const got32 = got.data as Float32Array;
    expect(maxAbsDiff(got32, want)).toBeLessThan(1e-3);
    let off = 0;
    for (let i = 0; i < want.length; i += 1) if (Math.abs(got32[i]! - want[i]!) > 1e-5) off += 1;
    expect(off / want.length).toBeLessThan(0.01);
    expect(new Set(want).size).toBeGreaterThan(1000);
  });

  it('a classifier exported with the prologue gives the probabilities of the plain export on CPU pixels', async () => {
    const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 75, denseUnits: 32 });
    applySeededWeights(model, 3);
    try {
      const plain = await session(exportLayersModelToOnnx(model));
      const fused = await session(exportLayersModelToOnnx(model, { prologue: { windows: DEFAULT_WINDOWS } }));
      const want = (await plain.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', cpu(75), [2, 75, 75, 3]) }))[
        ONNX_OUTPUT_NAME
      ]!.data as Float32Array;
      const got = (await fused.run({ [PROLOGUE_INPUT_NAME]: new ort.Tensor('int16', hu, [2, 512, 512]) }))[
        ONNX_OUTPUT_NAME
      ]!.data as Float32Array;
      expect(got).toHaveLength(12);
      expect(maxRelativeError(want, got)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  it('the tfjs ops equal the CPU kernel within 1e-6', () => {
    const out = tf.tidy(() => {
      const x = tf.tensor3d(Int32Array.from(hu), [2, 512, 512], 'int32');
      return preprocessTensor(x, 299, DEFAULT_WINDOWS).dataSync() as Float32Array;
    });
    expect(maxAbsDiff(out, cpu(299))).toBeLessThanOrEqual(1e-6);
  });
});
