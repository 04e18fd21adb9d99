import * as tf from '@tensorflow/tfjs';

/**
 * Deterministic random weights for an untrained model, so that every engine, the ONNX export and the API can run
 * before trained weights exist. He-normal convolutions keep activations O(1) through InceptionV3's ~50 stacked
 * conv+ReLU layers (Keras' glorot default would shrink them towards 0 and make every output the same constant,
 * which would hide export bugs). BatchNormalization gets non-trivial moving statistics so that the exporter's
 * BN folding is exercised by every parity check.
 */
export function applySeededWeights(
  model: tf.LayersModel,
  seed: number,
  options: { batchNorm?: 'exercise' | 'identity' } = {},
): void {
  // 'identity' (training from scratch): moving mean 0, variance 1, beta 0, as Keras initialises them.
  const identityBn = options.batchNorm === 'identity';
  const random = mulberry32(seed);
  const normal = (): number => {
    // Box–Muller; 1 - u keeps log() away from 0.
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  for (const layer of model.layers) {
    const className = layer.getClassName();
    const current = layer.getWeights();
    if (current.length === 0) continue;
    const next = layer.weights.map((variable, i) => {
      const shape = current[i]!.shape;
      const size = current[i]!.size;
      const values = new Float32Array(size);
      const role = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
      if (className === 'Conv2D' && role === 'kernel') {
        const fanIn = shape[0]! * shape[1]! * shape[2]!;
        const std = Math.sqrt(2 / fanIn);
        for (let k = 0; k < size; k++) values[k] = normal() * std;
      } else if (className === 'Dense' && role === 'kernel') {
        const limit = Math.sqrt(6 / (shape[0]! + shape[1]!));
        for (let k = 0; k < size; k++) values[k] = (random() * 2 - 1) * limit;
      } else if (identityBn && (role === 'moving_mean' || role === 'beta')) {
        values.fill(0);
      } else if (identityBn && role === 'moving_variance') {
        values.fill(1);
      } else if (role === 'moving_mean' || role === 'beta') {
        for (let k = 0; k < size; k++) values[k] = normal() * 0.05;
      } else if (role === 'moving_variance') {
        for (let k = 0; k < size; k++) values[k] = 0.8 + 0.4 * random();
      } else if (role === 'gamma') {
        values.fill(1);
      }
      // Biases stay 0.
      return tf.tensor(values, shape, 'float32');
    });
    layer.setWeights(next);
    // getWeights() returns the variables themselves, so only the new values are ours to free.
    tf.dispose(next);
  }
}

/** A small, fast 32-bit PRNG; the same seed gives the same weights on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
