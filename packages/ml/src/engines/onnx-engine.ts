import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '@ich/errors';
import { cardChannels, type ModelCard } from '../model/card.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../onnx/export-layers-model.js';
import { checkBatch } from './check-batch.js';
import type { Engine } from './engine.js';

type Ort = typeof import('onnxruntime-node');

export interface OnnxEngineOptions {
  /** Module specifier of onnxruntime; only tests change it (to prove the fallback when it is missing). */
  readonly module?: string;
  /** Intra-op threads; default: every available core. */
  readonly threads?: number;
  /** Run one image at load so the first study does not pay for kernel selection and allocations. */
  readonly warmUp?: boolean;
  /**
   * onnxruntime's CPU memory arena keeps the peak activation memory (~0.4 GB at batch 16, 299 px) for the life of
   * the session and reuses it for every batch: bounded, not growing from study to study, and ~5-7 % faster than
   * allocating per run (measured interleaved on 1 thread: 9.45 vs 8.85 img/s). Default on; `false` (or
   * ICH_ORT_ARENA=0) returns large buffers to the system after every batch, for workers that must stay small
   * while idle.
   */
  readonly memoryArena?: boolean;
  /**
   * Let onnxruntime's pool threads spin while waiting for work. Off by default: on a small server the worker
   * shares the cores with the preprocessing of the next batch, the decode pool and the API, and spinning threads
   * then fight them (measured on 2 busy cores: ~7 img/s spinning vs ~8.5 without). ICH_ORT_SPIN=1 turns it on.
   */
  readonly spinning?: boolean;
}

/**
 * onnxruntime-node: the fast CPU path (its MLAS kernels are near the FP32 bound on 2 cores) and CUDA where the
 * installed package ships the CUDA provider library (the npm package only downloads it at install time, which
 * `.npmrc` disables here, so on such machines the provider file is simply absent and we stay on CPU).
 */
export async function createOnnxEngine(dir: string, card: ModelCard, options: OnnxEngineOptions = {}): Promise<Engine> {
  if (!card.files.onnx)
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `onnx: the model directory ${dir} has no ONNX export (run ich-ml export-onnx)`,
    );
  const file = join(dir, card.files.onnx);
  if (!existsSync(file)) throw new AppError('ENGINE_UNAVAILABLE', `onnx: ${file} not found (run ich-ml export-onnx)`);
  const specifier = options.module ?? 'onnxruntime-node';
  let ort: Ort;
  try {
    ort = (await import(specifier)) as Ort;
  } catch (cause) {
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `onnx: ${specifier} is not installed or failed to load`,
      { module: specifier },
      { cause },
    );
  }
  const threads = options.threads ?? availableParallelism();
  const sessionOptions = (providers: string[]): import('onnxruntime-node').InferenceSession.SessionOptions => ({
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: options.memoryArena ?? process.env.ICH_ORT_ARENA !== '0',
    ...((options.spinning ?? process.env.ICH_ORT_SPIN === '1')
      ? {}
      : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  });
  let cuda = hasCudaProvider(specifier);
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, sessionOptions(cuda ? ['cuda', 'cpu'] : ['cpu']));
  } catch (cause) {
    // The CUDA provider library can be present on a machine without a usable GPU or driver: run on CPU then.
    if (!cuda)
      throw new AppError('BAD_MODEL', `onnx: cannot load ${file}: ${(cause as Error).message}`, { file }, { cause });
    cuda = false;
    session = await ort.InferenceSession.create(file, sessionOptions(['cpu']));
  }
  const channels = cardChannels(card);
  const engine: Engine = {
    name: 'onnx',
    device: cuda ? 'cuda (cpu fallback)' : `cpu (${threads} thread${threads === 1 ? '' : 's'})`,
    runtime: `onnxruntime-node ${ort.env.versions.node ?? ''}`.trim(),
    inputSize: card.inputSize,
    channels,
    outputs: card.labels.length,
    async run(batch, n) {
      checkBatch(engine, batch, n);
      const input = new ort.Tensor('float32', batch, [n, card.inputSize, card.inputSize, channels]);
      const result = await session.run({ [ONNX_INPUT_NAME]: input });
      const out = result[ONNX_OUTPUT_NAME];
      if (!out) throw new AppError('BAD_MODEL', `onnx: ${file} has no "${ONNX_OUTPUT_NAME}" output`);
      const data = out.data as Float32Array;
      out.dispose();
      return data;
    },
    async dispose() {
      await session.release();
    },
  };
  if (options.warmUp ?? true) await engine.run(new Float32Array(card.inputSize * card.inputSize * channels), 1);
  return engine;
}

function hasCudaProvider(specifier: string): boolean {
  try {
    const main = createRequire(import.meta.url).resolve(specifier);
    const bin = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return process.platform === 'linux' && existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}
