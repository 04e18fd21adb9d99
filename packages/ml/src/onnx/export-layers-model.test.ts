import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeError, testBatch } from '../../test/model/model-fixture.js';
import { buildClassifier } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG } from '../model/config.js';
import { applySeededWeights } from '../model/seeded-weights.js';
import {
  exportLayersModelToOnnx,
  layersModelToOnnxGraph,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from './export-layers-model.js';

const sessions: ort.InferenceSession[] = [];

async function runOnnx(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
  sessions.push(session);
  const out = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x, dims) });
  return out[ONNX_OUTPUT_NAME]!.data as Float32Array;
}

function runTfjs(model: tf.LayersModel, x: Float32Array, dims: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, dims)) as tf.Tensor).dataSync() as Float32Array).slice();
}

beforeAll(async () => {
  await tf.setBackend('wasm');
});
afterAll(async () => {
  // onnxruntime's thread pools would otherwise keep the vitest worker alive.
  for (const s of sessions) await s.release();
});

describe('ONNX export parity with tfjs', () => {
  it('InceptionV3 classifier at 75 px: probabilities and pooled features agree within 1e-4 relative', async () => {
    const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 75, denseUnits: 32 });
    applySeededWeights(model, 11);
    // The features before the head are far more sensitive to export mistakes than 6 sigmoids.
    const features = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('avg_pool').output as tf.SymbolicTensor,
    });
    try {
      const dims = [3, 75, 75, 3];
      const x = testBatch(3, 75, 3);
      const expected = runTfjs(model, x, dims);
      const actual = await runOnnx(exportLayersModelToOnnx(model), x, dims);
      expect(actual).toHaveLength(3 * 6);
      expect(maxRelativeError(expected, actual)).toBeLessThan(1e-4);
      // Outputs depend on the input (a broken graph tends to give constants).
      expect(Math.abs(expected[0]! - expected[6]!)).toBeGreaterThan(1e-6);

      const f = runTfjs(features, x, dims);
      const g = await runOnnx(exportLayersModelToOnnx(features), x, dims);
      const scale = f.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale).toBeGreaterThan(0.01);
      // Half the features are ReLU zeros or tiny; relative to the feature scale, and element-wise for the
      // features that carry signal (≥ 5 % of the largest), float32 reordering stays near 1e-6.
      expect(maxRelativeError(f, g, scale)).toBeLessThan(1e-4);
      const big = Array.from(f.keys()).filter((i) => Math.abs(f[i]!) >= 0.05 * scale);
      expect(big.length).toBeGreaterThan(100);
      expect(
        maxRelativeError(
          Float32Array.from(big, (i) => f[i]!),
          Float32Array.from(big, (i) => g[i]!),
        ),
      ).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  it('odd sizes, strides, biased conv with activation, standalone BatchNormalization with gamma, linear Dense', async () => {
    const input = tf.input({ shape: [11, 13, 2] });
    let a = tf.layers
      .conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu' })
      .apply(input) as tf.SymbolicTensor;
    a = tf.layers.batchNormalization({ epsilon: 0.01 }).apply(a) as tf.SymbolicTensor;
    const b = tf.layers
      .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    const b2 = tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false }).apply(b) as tf.SymbolicTensor;
    let x = tf.layers.concatenate().apply([a, b2]) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 5 }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    applySeededWeights(model, 5);
    for (const layer of model.layers.filter(
      (l) => l.getClassName() === 'BatchNormalization' || l.getClassName() === 'Conv2D',
    )) {
      // Non-trivial gamma and bias values.
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i) =>
            i === 0 && layer.getClassName() === 'Conv2D' ? w : tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 9),
          ),
      );
    }
    try {
      const dims = [2, 11, 13, 2];
      const x0 = Float32Array.from({ length: 2 * 11 * 13 * 2 }, (_, i) => Math.sin(i * 0.7) + (i % 3));
      const expected = runTfjs(model, x0, dims);
      const actual = await runOnnx(exportLayersModelToOnnx(model), x0, dims);
      expect(maxRelativeError(expected, actual)).toBeLessThan(1e-4);
      const ops = layersModelToOnnxGraph(model).nodes.map((n) => n.opType);
      expect(ops).toEqual(
        expect.arrayContaining([
          'Transpose',
          'Conv',
          'Relu',
          'BatchNormalization',
          'AveragePool',
          'Concat',
          'MaxPool',
          'GlobalAveragePool',
          'Gemm',
        ]),
      );
    } finally {
      model.dispose();
    }
  });

  it('folds every InceptionV3 BatchNormalization into its convolution and names the ONNX input/output', () => {
    const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 75, denseUnits: 8 });
    try {
      const graph = layersModelToOnnxGraph(model);
      const count = (op: string): number => graph.nodes.filter((n) => n.opType === op).length;
      expect(count('Conv')).toBe(94);
      expect(count('BatchNormalization')).toBe(0);
      expect(count('Relu')).toBe(95); // 94 conv blocks + the head's dense
      expect(count('AveragePool')).toBe(9);
      expect(count('MaxPool')).toBe(4);
      expect(count('Sigmoid')).toBe(1);
      expect(graph.inputs[0]).toEqual({ name: 'input', shape: ['N', 75, 75, 3] });
      expect(graph.outputs[0]).toEqual({ name: 'probabilities', shape: ['N', 6] });
      const pools = graph.nodes.filter((n) => n.opType === 'AveragePool');
      expect(pools.every((p) => p.attributes?.count_include_pad === 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('refuses layers it cannot translate, naming the layer', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const out = tf.layers.flatten({ name: 'my_flatten' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(() => layersModelToOnnxGraph(model)).toThrow(/my_flatten.*Flatten/);
  });
});
