import { AppError } from '@ich/errors';
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, modelConfigProblem } from './config.js';
import { type InceptionV3Options, inceptionV3Base } from './inception-v3.js';

/** Names of the head layers; the ONNX exporter and the weight initialiser rely on them only through layer classes. */
export const HEAD_LAYER_NAMES = {
  pool: 'avg_pool',
  dropout: 'head_dropout',
  dense: 'head_dense',
  output: 'predictions',
} as const;

/** The whole network: InceptionV3 base (Keras layout) + the seed's head, NHWC input. Built, not run. */
export function buildClassifier(config: ModelConfig, options: InceptionV3Options = {}): tf.LayersModel {
  const problem = modelConfigProblem(config);
  if (problem) throw new AppError('BAD_USER_INPUT', `invalid model config: ${problem}`);
  const input = tf.input({ shape: [config.inputSize, config.inputSize, config.channels], name: 'input_1' });
  const features = inceptionV3Base(input, options);
  let x = tf.layers.globalAveragePooling2d({ name: HEAD_LAYER_NAMES.pool }).apply(features) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: config.dropout, name: HEAD_LAYER_NAMES.dropout }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: config.denseUnits, activation: 'relu', name: HEAD_LAYER_NAMES.dense })
    .apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: config.labels.length, activation: 'sigmoid', name: HEAD_LAYER_NAMES.output })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'ich_inception_v3' });
}

/** The base alone (include_top=False), for the Keras parameter-count check. */
export function buildInceptionV3Base(
  inputSize: number,
  channels = 3,
  options: InceptionV3Options = {},
): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, channels], name: 'input_1' });
  return tf.model({ inputs: input, outputs: inceptionV3Base(input, options), name: 'inception_v3' });
}
