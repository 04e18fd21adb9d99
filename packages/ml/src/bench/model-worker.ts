/**
 * A benchmark participant in its own process, so that peak RSS and load time belong to one engine only.
 * `node model-worker.js '<json ServeConfig>'` loads the engine, prints a `ready` line, then answers one JSON command
 * per stdin line ({"batch": n} → {"type":"time","ms":…}; {"quit":true} → {"type":"bye","peakRssMiB":…}).
 * The orchestrator interleaves participants run by run, so load from other jobs on a shared machine falls on all
 * of them alike. `{"mode":"e2e",…}` instead runs one synthetic study end to end and prints its result.
 */

import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isAppError, toAppError } from '@ich/errors';
import { describeEngine, type Engine, type EngineKind } from '../engines/engine.js';
import { selectEngine } from '../engines/select-engine.js';

export interface ServeConfig {
  readonly engine: EngineKind;
  readonly modelDir: string;
  readonly threads?: number;
}

/** First line a participant prints. */
export type ReadyMessage =
  | { readonly type: 'ready'; readonly available: false; readonly reason: string }
  | {
      readonly type: 'ready';
      readonly available: true;
      readonly description: string;
      readonly device: string;
      readonly loadMs: number;
      readonly warmUpMs: number;
    };

export type WorkerReply =
  | ReadyMessage
  | { readonly type: 'time'; readonly ms: number }
  | { readonly type: 'bye'; readonly peakRssMiB: number };

export interface BatchMeasurement {
  readonly batch: number;
  readonly status: 'measured' | 'skipped';
  readonly reason?: string;
  readonly runs?: number;
  readonly medianBatchMs?: number;
  readonly imagesPerSecond?: number;
  /** From the fastest run: closer to the machine's capacity when other jobs share the cores. */
  readonly bestImagesPerSecond?: number;
}

/** What one benchmark participant (an engine, or the PyTorch reference) measured, or why it could not run. */
export type ParticipantResult =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      readonly description: string;
      readonly device: string;
      readonly loadMs: number;
      readonly warmUpMs: number;
      readonly peakRssMiB: number;
      readonly batches: readonly BatchMeasurement[];
    };

export type ModelWorkerResult = { readonly engine: EngineKind } & ParticipantResult;

async function serve(config: ServeConfig): Promise<void> {
  const say = (m: WorkerReply): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
  const t0 = performance.now();
  let engine: Engine;
  try {
    engine = (
      await selectEngine(config.modelDir, {
        choice: config.engine,
        warmUp: false,
        ...(config.threads ? { threads: config.threads } : {}),
      })
    ).engine;
  } catch (error) {
    if (isAppError(error) && error.code === 'ENGINE_UNAVAILABLE')
      return say({ type: 'ready', available: false, reason: error.message });
    throw error;
  }
  if (engine.name !== config.engine) {
    // onnx-int8 falls back to FP32 onnx where it cannot run; measuring that under its name would mislead.
    await engine.dispose();
    return say({
      type: 'ready',
      available: false,
      reason: `${config.engine} is unavailable (fell back to ${engine.name})`,
    });
  }
  const loadMs = performance.now() - t0;
  const per = engine.inputSize * engine.inputSize * engine.channels;
  const w0 = performance.now();
  await engine.run(new Float32Array(per), 1);
  say({
    type: 'ready',
    available: true,
    description: describeEngine(engine),
    device: engine.device,
    loadMs,
    warmUpMs: performance.now() - w0,
  });
  const inputs = new Map<number, Float32Array>();
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { batch?: number; quit?: boolean };
    if (command.quit) break;
    const n = command.batch ?? 1;
    let x = inputs.get(n);
    if (!x) {
      x = new Float32Array(per * n);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) >>> 0) / 4294967296;
      inputs.set(n, x);
    }
    const s = performance.now();
    await engine.run(x, n);
    say({ type: 'time', ms: performance.now() - s });
  }
  await engine.dispose();
  say({ type: 'bye', peakRssMiB: process.resourceUsage().maxRSS / 1024 });
}

export interface EndToEndConfig {
  readonly mode: 'e2e';
  readonly modelDir: string;
  readonly slices: number;
  readonly imageSize: number;
  readonly batch: number;
}

export interface EndToEndResult {
  readonly engine: string;
  readonly slices: number;
  readonly imageSize: number;
  readonly modelLoadMs: number;
  /** The first study after loading the model (one-off costs included). */
  readonly firstStudyMs: number;
  /** The rest are for a later study (steady state). Read + parse + decode + HU of every file (worker pool). */
  readonly decodeMs: number;
  /** Windows + resize + inference, preprocessing of batch k+1 overlapping inference of batch k. */
  readonly inferMs: number;
  readonly totalMs: number;
  readonly slicesPerSecond: number;
  readonly peakRssMiB: number;
}

/** A synthetic head-CT study through the product path: files → loadStudies → inferStudy, default engine. */
export async function measureEndToEnd(config: EndToEndConfig): Promise<EndToEndResult> {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { synthStudy } = await import('../synth/study.js');
  const { loadStudies } = await import('../pipeline/load-studies.js');
  const { closeSharedDecodePool } = await import('../decode/pool.js');
  const { inferStudy } = await import('../inference/infer-study.js');
  const dir = await mkdtemp(join(tmpdir(), 'ich-bench-study-'));
  try {
    const study = synthStudy({ seed: 'bench', slices: config.slices, size: config.imageSize, bleed: 'subdural' });
    for (const f of study.files) await writeFile(join(dir, f.name), f.bytes);
    const l0 = performance.now();
    const { engine, card } = await selectEngine(config.modelDir, { choice: 'auto' });
    const modelLoadMs = performance.now() - l0;
    // The same study twice: the first pays one-off costs (decode workers starting, the engine's first full-size
    // batch); the second is what a running worker sees for every later study.
    const once = async (): Promise<{ decodeMs: number; inferMs: number; slices: number }> => {
      const t0 = performance.now();
      const { studies } = await loadStudies([dir]);
      const t1 = performance.now();
      const prediction = await inferStudy(engine, card, studies[0]!, { batchSize: config.batch });
      return { decodeMs: t1 - t0, inferMs: performance.now() - t1, slices: prediction.slices.length };
    };
    const first = await once();
    const steady = await once();
    await engine.dispose();
    await closeSharedDecodePool();
    const totalMs = steady.decodeMs + steady.inferMs;
    return {
      engine: describeEngine(engine),
      slices: steady.slices,
      imageSize: config.imageSize,
      modelLoadMs,
      firstStudyMs: first.decodeMs + first.inferMs,
      decodeMs: steady.decodeMs,
      inferMs: steady.inferMs,
      totalMs,
      slicesPerSecond: (steady.slices * 1000) / totalMs,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain && process.argv[2]) {
  try {
    const config = JSON.parse(process.argv[2]) as ServeConfig | EndToEndConfig;
    if ('mode' in config) process.stdout.write(`${JSON.stringify(await measureEndToEnd(config))}\n`);
    else await serve(config);
  } catch (error) {
    process.stderr.write(`bench worker: ${toAppError(error).message} ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  }
}
