import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildClassifier } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG } from '../model/config.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

const size = Number(process.argv[2] ?? 75);
const batch = Number(process.argv[3] ?? 8);
registerWasmTrainingKernels();
await tf.setBackend('wasm');
tf.enableProdMode();
const model = buildClassifier({ ...DEFAULT_MODEL_CONFIG, inputSize: size }, { bnGamma: 'constant' });
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
const x = tf.randomUniform([batch, size, size, 3]);
const y = tf.randomUniform([batch, 6]).round();
for (let i = 0; i < 3; i++) {
  const t = Date.now();
  const l = await model.trainOnBatch(x, y);
  console.log(
    `size ${size} batch ${batch} step ${i}: loss ${l} ${((Date.now() - t) / 1000).toFixed(2)} s = ${((batch * 1000) / (Date.now() - t)).toFixed(2)} img/s`,
  );
}
