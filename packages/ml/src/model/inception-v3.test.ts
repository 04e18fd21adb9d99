import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../labels.js';
import { buildClassifier, buildInceptionV3Base } from './classifier.js';
import { DEFAULT_MODEL_CONFIG, INCEPTION_V3_BASE_PARAMETERS } from './config.js';
import { freezeGamma } from './inception-v3.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('InceptionV3 (Keras transcription)', () => {
  it('has exactly the Keras include_top=False parameter count and layout at 299 px (built, not run)', () => {
    const base = buildInceptionV3Base(299);
    try {
      expect(base.countParams()).toBe(INCEPTION_V3_BASE_PARAMETERS);
      expect(INCEPTION_V3_BASE_PARAMETERS).toBe(21_802_784);
      expect(base.layers).toHaveLength(311); // Keras: 311 layers including the input
      expect(base.outputs[0]!.shape).toEqual([null, 8, 8, 2048]);
      const names = base.layers.map((l) => l.name);
      expect(names.slice(1, 4)).toEqual(['conv2d', 'batch_normalization', 'activation']);
      expect(names).toContain('conv2d_93');
      expect(names).not.toContain('conv2d_94');
      expect(names).toContain('average_pooling2d_8');
      expect(names).toEqual(
        expect.arrayContaining(['mixed0', 'mixed5', 'mixed9_0', 'mixed9_1', 'concatenate', 'concatenate_1', 'mixed10']),
      );
      const trainable = base.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
      expect(trainable).toBe(21_768_352); // Keras' "Trainable params" for InceptionV3 notop
    } finally {
      base.dispose();
    }
  });

  it('uses conv without bias and BatchNormalization without scale, epsilon 1e-3', () => {
    const base = buildInceptionV3Base(75);
    try {
      const conv = base.getLayer('conv2d').getConfig();
      const bn = base.getLayer('batch_normalization').getConfig();
      expect(conv.useBias).toBe(false);
      expect(bn.scale).toBe(false);
      expect(bn.epsilon).toBe(1e-3);
      expect(base.outputs[0]!.shape).toEqual([null, 1, 1, 2048]);
    } finally {
      base.dispose();
    }
  });

  it('training variant: gamma is present but fixed at 1 and not trainable, so the trainable set matches Keras', () => {
    const inference = buildInceptionV3Base(75);
    const training = buildInceptionV3Base(75, 3, { bnGamma: 'constant' });
    try {
      const names = (m: tf.LayersModel): string[] => m.trainableWeights.map((w) => w.originalName).sort();
      expect(names(training)).toEqual(names(inference));
      const gammas = training.weights.filter((w) => w.originalName.endsWith('/gamma'));
      expect(gammas).toHaveLength(94);
      expect(gammas.every((g) => !g.trainable)).toBe(true);
      expect(Array.from(gammas[0]!.read().dataSync()).every((v) => v === 1)).toBe(true);
    } finally {
      inference.dispose();
      training.dispose();
    }
  });

  it('the constant-gamma BatchNormalization trains (fit runs) and keeps gamma at exactly 1', async () => {
    // The same building block InceptionV3 uses with bnGamma 'constant', on a tiny network so that fit is fast on
    // tfjs-cpu (the whole 75 px InceptionV3 also fits this way: ~60 s per step here, too slow for a unit test).
    const input = tf.input({ shape: [8, 8, 2] });
    let x = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, useBias: false, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ axis: 3, epsilon: 1e-3, scale: true });
    x = bn.apply(x) as tf.SymbolicTensor;
    freezeGamma(bn);
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor,
    });
    try {
      model.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
      const value = (role: string): number[] =>
        Array.from(
          bn.weights
            .find((w) => w.originalName.endsWith(`/${role}`))!
            .read()
            .dataSync(),
        );
      const beta0 = value('beta');
      await model.fit(tf.randomUniform([4, 8, 8, 2], 0, 1, 'float32', 1), tf.tensor2d([[1], [0], [1], [0]]), {
        epochs: 2,
        verbose: 0,
      });
      expect(value('gamma')).toEqual([1, 1, 1, 1]);
      expect(value('beta')).not.toEqual(beta0); // the layer itself still trains
    } finally {
      model.dispose();
    }
  });

  it('builds the head with configurable sizes and rejects input sizes outside 75..512', () => {
    const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 75, channels: 9, denseUnits: 16 });
    try {
      expect(model.inputs[0]!.shape).toEqual([null, 75, 75, 9]);
      expect(model.outputs[0]!.shape).toEqual([null, LABELS.length]);
      expect(model.getLayer('head_dense').getConfig().units).toBe(16);
    } finally {
      model.dispose();
    }
    expect(() => buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 74 })).toThrow(
      /input size must be an integer from 75 to 512, got 74/,
    );
    expect(() => buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: 513 })).toThrow(/got 513/);
  });
});
