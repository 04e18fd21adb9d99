import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

/**
 * The fastest tfjs backend present for training: tfjs-node-gpu, tfjs-node (native TensorFlow, optional at install),
 * else wasm (XNNPACK, one thread under Node) with the project's Conv2DBackpropFilter kernel, else the pure-JS cpu
 * backend (correct, very slow: minutes per InceptionV3 step).
 */
export async function selectTrainingBackend(prefer?: string): Promise<string> {
  tf.enableProdMode();
  const candidates: { name: string; module: string | null; backend: string }[] = [
    { name: 'tfjs-node-gpu', module: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow' },
    { name: 'tfjs-node', module: '@tensorflow/tfjs-node', backend: 'tensorflow' },
    { name: 'wasm', module: '@tensorflow/tfjs-backend-wasm', backend: 'wasm' },
    { name: 'cpu', module: null, backend: 'cpu' },
  ];
  for (const c of candidates) {
    if (prefer && prefer !== c.name) continue;
    try {
      if (c.module) await import(c.module);
      if (c.backend === 'wasm') registerWasmTrainingKernels();
      if (await tf.setBackend(c.backend)) return c.name;
    } catch {
      // Not installed or failed to start: try the next one.
    }
  }
  throw new Error(prefer ? `training backend "${prefer}" is not available` : 'no tfjs backend could start');
}
