import { AppError } from '@ich/errors';
import type * as tfTypes from '@tensorflow/tfjs';
import { cardChannels, type ModelCard } from '../model/card.js';
import { loadTfjsModelChecked } from '../model/model-dir.js';
import { checkBatch } from './check-batch.js';
import type { Engine, EngineKind } from './engine.js';

export type TfjsEngineKind = Extract<EngineKind, 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm'>;

/** The package that provides each tfjs backend, and the backend name it registers. */
export const TFJS_BACKENDS: Record<TfjsEngineKind, { module: string; backend: string; device: string }> = {
  'tfjs-node-gpu': { module: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow', device: 'cuda (libtensorflow)' },
  'tfjs-node': { module: '@tensorflow/tfjs-node', backend: 'tensorflow', device: 'cpu (libtensorflow)' },
  // tfjs-backend-wasm runs single-threaded under Node (no SharedArrayBuffer workers); always installed.
  'tfjs-wasm': { module: '@tensorflow/tfjs-backend-wasm', backend: 'wasm', device: 'cpu (wasm, 1 thread)' },
};

export interface TfjsEngineOptions {
  /** Module specifier override; only tests change it (to prove the fallback when a backend is missing). */
  readonly module?: string;
  readonly warmUp?: boolean;
}

/**
 * tfjs engines share one code path: load the backend package (tfjs-node(-gpu) are optionalDependencies that may
 * have failed to install), make it the global backend, load model.json checked against the card's weights hash.
 */
export async function createTfjsEngine(
  kind: TfjsEngineKind,
  dir: string,
  card: ModelCard,
  options: TfjsEngineOptions = {},
): Promise<Engine> {
  const spec = TFJS_BACKENDS[kind];
  const specifier = options.module ?? spec.module;
  const tf = await import('@tensorflow/tfjs');
  // Production mode: no debug checks, and no "install tfjs-node" banner on stderr (we chose the backend on purpose).
  tf.enableProdMode();
  try {
    await import(specifier);
  } catch (cause) {
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `${kind}: ${specifier} is not installed or failed to load`,
      { module: specifier },
      { cause },
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend(spec.backend);
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('ENGINE_UNAVAILABLE', `${kind}: the "${spec.backend}" backend did not initialise`);
  const model = await loadTfjsModelChecked(dir, card);
  const channels = cardChannels(card);
  const engine: Engine = {
    name: kind,
    device: spec.device,
    runtime: `@tensorflow/tfjs ${tf.version.tfjs} (${spec.backend})`,
    inputSize: card.inputSize,
    channels,
    outputs: card.labels.length,
    async run(batch, n) {
      checkBatch(engine, batch, n);
      // The backend is process-global; another engine may have switched it since this one loaded.
      if (tf.getBackend() !== spec.backend) await tf.setBackend(spec.backend);
      const out = tf.tidy(
        () => model.predict(tf.tensor4d(batch, [n, card.inputSize, card.inputSize, channels])) as tfTypes.Tensor,
      );
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
  if (options.warmUp ?? true) await engine.run(new Float32Array(card.inputSize * card.inputSize * channels), 1);
  return engine;
}
