/**
 * One benchmark measurement in a fresh process, so that peak RSS and load time belong to one engine only:
 * `node model-worker.js '<json config>'` prints one JSON line (ModelWorkerResult) on stdout.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isAppError, toAppError } from '@ich/errors';
import { describeEngine, type EngineKind } from '../engines/engine.js';
import { selectEngine } from '../engines/select-engine.js';

export interface ModelWorkerConfig {
  readonly engine: EngineKind;
  readonly modelDir: string;
  readonly batches: readonly number[];
  /** Timed runs per batch size (the median is reported). */
  readonly runs: number;
  /** Budget per batch size; a size whose estimated time exceeds it is skipped and reported as such. */
  readonly maxSeconds: number;
  readonly threads?: number;
}

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

export type ModelWorkerResult =
  | { readonly engine: EngineKind; readonly available: false; readonly reason: string }
  | {
      readonly engine: EngineKind;
      readonly available: true;
      readonly description: string;
      readonly device: string;
      readonly runtime: string;
      readonly loadMs: number;
      readonly warmUpMs: number;
      readonly peakRssMiB: number;
      readonly batches: readonly BatchMeasurement[];
    };

export async function measureEngine(config: ModelWorkerConfig): Promise<ModelWorkerResult> {
  const t0 = performance.now();
  let selected;
  try {
    selected = await selectEngine(config.modelDir, { choice: config.engine, warmUp: false, ...(config.threads ? { threads: config.threads } : {}) });
  } catch (error) {
    if (isAppError(error) && error.code === 'ENGINE_UNAVAILABLE') return { engine: config.engine, available: false, reason: error.message };
    throw error;
  }
  const { engine } = selected;
  const loadMs = performance.now() - t0;
  const per = engine.inputSize * engine.inputSize * engine.channels;
  const w0 = performance.now();
  await engine.run(new Float32Array(per), 1);
  const warmUpMs = performance.now() - w0;
  // Seconds per image, best so far: predicts the cost of larger batches before running them.
  let perImage = warmUpMs / 1000;
  const batches: BatchMeasurement[] = [];
  for (const batch of [...config.batches].sort((a, b) => a - b)) {
    const estimate = perImage * batch * (config.runs + 1);
    if (estimate > config.maxSeconds) {
      batches.push({ batch, status: 'skipped', reason: `too slow: ~${(perImage * batch).toFixed(1)} s per batch, ${config.runs + 1} runs > ${config.maxSeconds} s budget` });
      continue;
    }
    const x = new Float32Array(per * batch);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) >>> 0) / 4294967296;
    await engine.run(x, batch); // warm-up at this batch size (allocations, kernel choice)
    const times: number[] = [];
    for (let r = 0; r < config.runs; r++) {
      const s = performance.now();
      await engine.run(x, batch);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    perImage = Math.min(perImage, median / 1000 / batch);
    batches.push({ batch, status: 'measured', runs: config.runs, medianBatchMs: median, imagesPerSecond: (batch * 1000) / median, bestImagesPerSecond: (batch * 1000) / times[0]! });
  }
  const result: ModelWorkerResult = {
    engine: config.engine,
    available: true,
    description: describeEngine(engine),
    device: engine.device,
    runtime: engine.runtime,
    loadMs,
    warmUpMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    batches,
  };
  await engine.dispose();
  return result;
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
  /** Read + parse + decode + HU of every file (worker pool). */
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
    const t0 = performance.now();
    const { studies } = await loadStudies([dir]);
    const t1 = performance.now();
    const prediction = await inferStudy(engine, card, studies[0]!, { batchSize: config.batch });
    const t2 = performance.now();
    await engine.dispose();
    await closeSharedDecodePool();
    return {
      engine: describeEngine(engine),
      slices: prediction.slices.length,
      imageSize: config.imageSize,
      modelLoadMs,
      decodeMs: t1 - t0,
      inferMs: t2 - t1,
      totalMs: t2 - t0,
      slicesPerSecond: (prediction.slices.length * 1000) / (t2 - t0),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain && process.argv[2]) {
  try {
    const config = JSON.parse(process.argv[2]) as ModelWorkerConfig | EndToEndConfig;
    const result = 'mode' in config ? await measureEndToEnd(config) : await measureEngine(config);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`bench worker: ${toAppError(error).message} ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  }
}
