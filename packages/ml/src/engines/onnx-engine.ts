import { existsSync, readFileSync } from 'node:fs';
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
  /** Run the card's INT8 QDQ export (files.onnxInt8) on the CPU instead of model.onnx: the `onnx-int8` engine. */
  readonly int8?: boolean;
  /** Write onnxruntime's per-node profile (JSON) to files starting with this prefix; `dispose` ends it. */
  readonly profilePrefix?: string;
  /** CPU feature flags (default: /proc/cpuinfo's); the INT8 engine needs a VNNI flag. */
  readonly cpuFlags?: readonly string[];
}

/**
 * INT8 pays only with dot-product instructions: VNNI (AVX512_VNNI on Cascade Lake and later Xeons, AVX_VNNI on
 * Alder Lake and later) or AMX. Without them onnxruntime's u8×s8 kernels use AVX2 vpmaddubsw, which saturates
 * int16 intermediate sums (a known accuracy hazard) and gains little over FP32, so the engine declines.
 */
export const INT8_CPU_FLAGS = ['avx512_vnni', 'avx_vnni', 'amx_int8'] as const;

export function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags'));
    return line
      ? line
          .slice(line.indexOf(':') + 1)
          .trim()
          .split(/\s+/)
      : [];
  } catch {
    return [];
  }
}

/**
 * onnxruntime-node: the fast CPU path (its MLAS kernels are near the FP32 bound on 2 cores) and CUDA where the
 * installed package ships the CUDA provider library (the npm package only downloads it at install time, which
 * `.npmrc` disables here, so on such machines the provider file is simply absent and we stay on CPU).
 */
export async function createOnnxEngine(dir: string, card: ModelCard, options: OnnxEngineOptions = {}): Promise<Engine> {
  const file = options.int8 ? int8File(dir, card, options.cpuFlags ?? cpuFlags()) : fp32File(dir, card);
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
    ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
    ...((options.spinning ?? process.env.ICH_ORT_SPIN === '1')
      ? {}
      : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  });
  // The INT8 graph is for the CPU's integer kernels; the CUDA provider would run its Q/DQ pairs in float.
  let cuda = !options.int8 && hasCudaProvider(specifier);
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, sessionOptions(cuda ? ['cuda', 'cpu'] : ['cpu']));
  } catch (cause) {
    // The CUDA provider library can be present on a machine without a usable GPU or driver: run on CPU then.
    if (!cuda)
      throw new AppError(
        'BAD_MODEL',
        `${options.int8 ? 'onnx-int8' : 'onnx'}: cannot load ${file}: ${(cause as Error).message}`,
        { file },
        { cause },
      );
    cuda = false;
    session = await ort.InferenceSession.create(file, sessionOptions(['cpu']));
  }
  const channels = cardChannels(card);
  const engine: Engine = {
    name: options.int8 ? 'onnx-int8' : 'onnx',
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
      if (options.profilePrefix) session.endProfiling();
      await session.release();
    },
  };
  if (options.warmUp ?? true) await engine.run(new Float32Array(card.inputSize * card.inputSize * channels), 1);
  return engine;
}

function fp32File(dir: string, card: ModelCard): string {
  if (!card.files.onnx)
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `onnx: the model directory ${dir} has no ONNX export (run ich-ml export-onnx)`,
    );
  const file = join(dir, card.files.onnx);
  if (!existsSync(file)) throw new AppError('ENGINE_UNAVAILABLE', `onnx: ${file} not found (run ich-ml export-onnx)`);
  return file;
}

function int8File(dir: string, card: ModelCard, flags: readonly string[]): string {
  const hint = `run ich-ml quantize --model ${dir} --calib <studies>`;
  if (!INT8_CPU_FLAGS.some((f) => flags.includes(f)))
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `onnx-int8: this CPU has no VNNI/AMX int8 instructions (${INT8_CPU_FLAGS.join(', ')}), where INT8 is not faster than FP32`,
    );
  if (!card.files.onnxInt8)
    throw new AppError('ENGINE_UNAVAILABLE', `onnx-int8: the model directory ${dir} has no INT8 export (${hint})`);
  const file = join(dir, card.files.onnxInt8);
  if (!existsSync(file)) throw new AppError('ENGINE_UNAVAILABLE', `onnx-int8: ${file} not found (${hint})`);
  if (card.int8?.weightsHash !== card.weightsHash)
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      `onnx-int8: ${file} was quantized from other weights than the card's (${hint} again)`,
    );
  return file;
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
