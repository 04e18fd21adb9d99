import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppError } from '@ich/errors';
import { intFlag, intListFlag } from '../src/cli/flags.js';
import type { Engine } from '../src/engines/engine.js';
import { cpuFlags, createOnnxEngine, INT8_CPU_FLAGS } from '../src/engines/onnx-engine.js';
import { initModel } from '../src/model/init-model.js';
import { exportOnnxInDir, readModelCard } from '../src/model/model-dir.js';
import { quantizeModelDir } from '../src/model/quantize-model.js';
import { shippedModelDir } from '../src/model/resolve-model-dir.js';
import { writeSynthStudies } from '../src/synth/write-studies.js';

/**
 * `npm run bench -w @ich/ml -- --only int8`: FP32 (model.onnx) against INT8 (model.int8.onnx) on onnxruntime's CPU
 * provider, both loaded in this process with the engine's own session options, measured in alternating rounds
 * (FP32 first in even rounds, INT8 first in odd ones) so that a machine whose load changes affects both alike.
 * Reports the median images/s of each and the ratio of the medians, plus the median of the per-round ratios. With
 * --profile, one more INT8 and FP32 run each is profiled and the time per operator type is reported.
 */
export interface Int8BenchOptions {
  readonly sizes?: readonly number[];
  /**
   * An existing model directory, measured at its own input size on a copy (quantized there when it has no current
   * INT8 export). Default: the committed demo model, if any.
   */
  readonly modelDir?: string;
  readonly batch?: number;
  readonly rounds?: number;
  readonly threads?: number;
  readonly profile?: boolean;
  readonly onProgress?: (line: string) => void;
}

export interface OpTime {
  readonly op: string;
  readonly nodes: number;
  readonly ms: number;
  readonly share: number;
}

export interface Int8SizeResult {
  readonly size: number;
  readonly model: string;
  readonly batch: number;
  readonly rounds: number;
  readonly fp32: { readonly imagesPerSecond: readonly number[]; readonly median: number };
  readonly int8: { readonly imagesPerSecond: readonly number[]; readonly median: number };
  /** Median INT8 images/s ÷ median FP32 images/s. */
  readonly ratio: number;
  /** Median over rounds of that round's INT8 ÷ FP32. */
  readonly medianRoundRatio: number;
  readonly profile: { readonly fp32: readonly OpTime[]; readonly int8: readonly OpTime[] } | null;
}

export interface Int8BenchResult {
  readonly benchmark: 'inception-v3-int8';
  readonly date: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly int8Flags: readonly string[];
    readonly loadAverage: readonly number[];
  };
  readonly threads: number;
  readonly goal: string;
  readonly sizes: readonly Int8SizeResult[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runInt8Bench(options: Int8BenchOptions = {}): Promise<Int8BenchResult> {
  const log = options.onProgress ?? (() => undefined);
  const threads = options.threads ?? 2;
  const flags = cpuFlags().filter((f) => (INT8_CPU_FLAGS as readonly string[]).includes(f));
  const work = await mkdtemp(join(tmpdir(), 'ich-int8-bench-'));
  const results: Int8SizeResult[] = [];
  try {
    const calib = join(work, 'calib');
    // Calibration phantoms: 4 studies × 8 slices, another seed than the accuracy tests' held-out set.
    await writeSynthStudies({ out: calib, studies: 4, slices: 8, size: 256, seed: 1001 });
    const targets: { dir: string; label: string }[] = [];
    // A given model directory (default: the committed demo model, when the checkout has it) is measured on a copy:
    // quantizing writes model.int8.onnx and the card, which must not change a tracked directory.
    const given =
      options.modelDir ?? (existsSync(join(shippedModelDir(), 'card.json')) ? shippedModelDir() : undefined);
    if (given) {
      const copy = join(work, 'given');
      await cp(given, copy, { recursive: true });
      const c = await readModelCard(copy);
      if (!c.files.onnx || !existsSync(join(copy, c.files.onnx))) await exportOnnxInDir(copy);
      targets.push({ dir: copy, label: `${c.name} ${c.version} (${c.status}) at ${c.inputSize} px` });
    }
    for (const size of options.sizes ?? (options.modelDir ? [] : [299])) {
      const dir = join(work, `model-${size}`);
      log(`int8 bench: seeded InceptionV3 at ${size} px`);
      await initModel({ out: dir, inputSize: size, seed: 7 });
      targets.push({ dir, label: `seeded InceptionV3 (untrained) at ${size} px` });
    }
    for (const target of targets) {
      let card = await readModelCard(target.dir);
      if (!card.files.onnxInt8 || card.int8?.weightsHash !== card.weightsHash) {
        log(`int8 bench: quantizing ${target.label} (min/max calibration, 16 images)`);
        await quantizeModelDir(target.dir, { calibration: [calib], maxImages: 16 });
        card = await readModelCard(target.dir);
      }
      results.push(await measure(target.dir, target.label, card.inputSize, options, threads, work, log));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return {
    benchmark: 'inception-v3-int8',
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      int8Flags: flags,
      loadAverage: loadavg(),
    },
    threads,
    goal: 'INT8 ≥ 2× FP32 images/s',
    sizes: results,
  };
}

async function measure(
  dir: string,
  label: string,
  size: number,
  options: Int8BenchOptions,
  threads: number,
  work: string,
  log: (line: string) => void,
): Promise<Int8SizeResult> {
  const batch = options.batch ?? 8;
  const rounds = options.rounds ?? 7;
  const card = await readModelCard(dir);
  const fp32 = await createOnnxEngine(dir, card, { threads });
  const int8 = await createOnnxEngine(dir, card, { threads, int8: true });
  const x = new Float32Array(batch * size * size * fp32.channels);
  // Image-like input: smooth structure in [0, 1] (the windows' range), not constant.
  for (let i = 0; i < x.length; i++) x[i] = 0.5 + 0.45 * Math.sin(i / 977) * Math.cos(i / 13);
  const time = async (engine: Engine): Promise<number> => {
    const t0 = performance.now();
    await engine.run(x, batch);
    return batch / ((performance.now() - t0) / 1000);
  };
  const a: number[] = [];
  const b: number[] = [];
  try {
    await time(fp32);
    await time(int8);
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        a.push(await time(fp32));
        b.push(await time(int8));
      } else {
        b.push(await time(int8));
        a.push(await time(fp32));
      }
      log(
        `int8 bench: ${size} px round ${r + 1}/${rounds}: FP32 ${a.at(-1)!.toFixed(2)} img/s, INT8 ${b.at(-1)!.toFixed(2)} img/s`,
      );
    }
  } finally {
    await fp32.dispose();
    await int8.dispose();
  }
  const profile = options.profile ? await profileBoth(dir, card, batch, x, threads, work) : null;
  return {
    size,
    model: label,
    batch,
    rounds,
    fp32: { imagesPerSecond: a, median: median(a) },
    int8: { imagesPerSecond: b, median: median(b) },
    ratio: median(b) / median(a),
    medianRoundRatio: median(b.map((v, i) => v / a[i]!)),
    profile,
  };
}

async function profileBoth(
  dir: string,
  card: Awaited<ReturnType<typeof readModelCard>>,
  batch: number,
  x: Float32Array,
  threads: number,
  work: string,
): Promise<{ fp32: OpTime[]; int8: OpTime[] }> {
  const one = async (int8: boolean): Promise<OpTime[]> => {
    const folder = await mkdtemp(join(work, 'profile-'));
    const engine = await createOnnxEngine(dir, card, { threads, int8, profilePrefix: join(folder, 'ort') });
    await engine.run(x, batch);
    await engine.dispose();
    const [file] = (await readdir(folder)).filter((f) => f.endsWith('.json'));
    if (!file) throw new AppError('INTERNAL', 'int8 bench: onnxruntime wrote no profile');
    return opTimes(JSON.parse(await readFile(join(folder, file), 'utf8')) as ProfileEvent[]);
  };
  return { fp32: await one(false), int8: await one(true) };
}

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}

/** Kernel time per operator type over the profiled runs after the warm-up one (onnxruntime's own per-node events). */
export function opTimes(events: readonly ProfileEvent[]): OpTime[] {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const lastRunStart = runs.length > 1 ? (runs.at(-1) as unknown as { ts: number }).ts : 0;
  const by = new Map<string, { ms: number; nodes: Set<string> }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
    if ((e as unknown as { ts: number }).ts < lastRunStart) continue;
    const entry = by.get(e.args.op_name) ?? { ms: 0, nodes: new Set<string>() };
    entry.ms += e.dur / 1000;
    entry.nodes.add(e.name);
    by.set(e.args.op_name, entry);
  }
  const total = [...by.values()].reduce((n, v) => n + v.ms, 0);
  return [...by.entries()]
    .map(([op, v]) => ({ op, nodes: v.nodes.size, ms: v.ms, share: total > 0 ? v.ms / total : 0 }))
    .sort((p, q) => q.ms - p.ms);
}

export function formatInt8Bench(result: Int8BenchResult): string {
  const lines = [
    `InceptionV3 FP32 vs INT8 (onnxruntime CPU, ${result.threads} threads, ${result.machine.cpu}, ${result.machine.int8Flags.join(' ')}; load average ${result.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')})`,
    'size  batch  rounds  FP32 img/s (median)  INT8 img/s (median)  INT8/FP32  median round ratio  model',
  ];
  for (const s of result.sizes)
    lines.push(
      `${String(s.size).padStart(4)}  ${String(s.batch).padStart(5)}  ${String(s.rounds).padStart(6)}  ${s.fp32.median.toFixed(2).padStart(19)}  ${s.int8.median.toFixed(2).padStart(19)}  ${`${s.ratio.toFixed(2)}×`.padStart(9)}  ${`${s.medianRoundRatio.toFixed(2)}×`.padStart(18)}  ${s.model}`,
    );
  lines.push(`goal: ${result.goal}`);
  for (const s of result.sizes) {
    if (!s.profile) continue;
    for (const kind of ['int8', 'fp32'] as const) {
      lines.push(`profile ${kind} at ${s.size} px (one batch of ${s.batch}): op, nodes, ms, share`);
      for (const o of s.profile[kind].slice(0, 8))
        lines.push(
          `  ${o.op.padEnd(26)} ${String(o.nodes).padStart(4)}  ${o.ms.toFixed(1).padStart(8)}  ${(o.share * 100).toFixed(1).padStart(5)} %`,
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runInt8BenchCli(argv: readonly string[]): Promise<number> {
  const usage =
    'bench --only int8 [--sizes 299,N] [--model <dir>] [--batch N] [--rounds N] [--threads N] [--profile] [--json]';
  const options = {
    sizes: { type: 'string' },
    model: { type: 'string' },
    batch: { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  } as const;
  let values: ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: typeof options }>>['values'];
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options,
    }));
  } catch (cause) {
    throw new AppError('BAD_USER_INPUT', `${(cause as Error).message} (usage: ${usage})`);
  }
  const sizes = intListFlag(values, 'sizes', { min: 75, max: 512 });
  const batch = intFlag(values, 'batch', { min: 1, max: 64 });
  const rounds = intFlag(values, 'rounds', { min: 1, max: 100 });
  const threads = intFlag(values, 'threads', { min: 1, max: 256 });
  if (!cpuFlags().some((f) => (INT8_CPU_FLAGS as readonly string[]).includes(f))) {
    // Said, not failed: the engine falls back to FP32 on such CPUs, and there is no INT8 figure to give.
    process.stdout.write(`INT8 benchmark skipped: this CPU has none of ${INT8_CPU_FLAGS.join(', ')}\n`);
    return 0;
  }
  const result = await runInt8Bench({
    ...(sizes ? { sizes } : {}),
    ...(typeof values.model === 'string' ? { modelDir: values.model } : {}),
    ...(batch ? { batch } : {}),
    ...(rounds ? { rounds } : {}),
    ...(threads ? { threads } : {}),
    profile: values.profile === true,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  // bench/int8.ts → <package>/bench-results, beside the other benchmarks' JSON.
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `int8-${result.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatInt8Bench(result));
  process.stderr.write(`results written to ${file}\n`);
  return 0;
}
