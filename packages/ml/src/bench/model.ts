import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@ich/errors';
import { ENGINE_KINDS, type EngineKind } from '../engines/engine.js';
import { initModel } from '../model/init-model.js';
import type { EndToEndConfig, EndToEndResult, ModelWorkerConfig, ModelWorkerResult } from './model-worker.js';
import { type ReferenceResult, runPytorchReference } from './model-reference.js';

/**
 * `ich-ml bench` / `npm run bench`: InceptionV3 images per second at one input size and several batch sizes, for
 * every engine (each in its own process: clean peak RSS and load time), beside PyTorch's torchvision inception_v3
 * measured in the same run, plus one synthetic 40-slice study end to end through the default engine.
 */
export interface ModelBenchOptions {
  readonly size?: number;
  readonly batches?: readonly number[];
  readonly runs?: number;
  readonly maxSeconds?: number;
  readonly engines?: readonly EngineKind[];
  readonly reference?: boolean;
  readonly endToEnd?: boolean;
  /** An existing model directory (its input size wins); default: a fresh UNTRAINED model in a temp folder. */
  readonly modelDir?: string;
  readonly threads?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ModelBenchResult {
  readonly benchmark: 'inception-v3-inference';
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string; readonly loadAverage: readonly number[] };
  readonly size: number;
  readonly threads: number;
  readonly engines: readonly ModelWorkerResult[];
  readonly reference: ReferenceResult | null;
  readonly endToEnd: EndToEndResult | null;
  /** engine → batch → images/s ÷ PyTorch images/s at the same batch. */
  readonly ratios: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export const QUICK: Pick<ModelBenchOptions, 'runs' | 'maxSeconds'> = { runs: 3, maxSeconds: 15 };

export async function runModelBench(options: ModelBenchOptions = {}): Promise<ModelBenchResult> {
  const log = options.onProgress ?? (() => undefined);
  const threads = options.threads ?? availableParallelism();
  const batches = options.batches ?? [1, 16];
  const runs = options.runs ?? 5;
  const maxSeconds = options.maxSeconds ?? 60;
  let size = options.size ?? 299;
  let modelDir = options.modelDir;
  let tempDir: string | null = null;
  try {
    if (!modelDir) {
      tempDir = await mkdtemp(join(tmpdir(), 'ich-bench-model-'));
      log(`writing an UNTRAINED ${size}px model to ${tempDir} ...`);
      await initModel({ out: tempDir, inputSize: size, seed: 1 });
      modelDir = tempDir;
    } else {
      const { readModelCard } = await import('../model/model-dir.js');
      size = (await readModelCard(modelDir)).inputSize;
    }
    const engines: ModelWorkerResult[] = [];
    for (const engine of options.engines ?? ENGINE_KINDS) {
      log(`measuring ${engine} ...`);
      const config: ModelWorkerConfig = { engine, modelDir, batches, runs, maxSeconds, threads };
      engines.push(await runWorker<ModelWorkerResult>(config));
    }
    let reference: ReferenceResult | null = null;
    if (options.reference ?? true) {
      log('measuring the PyTorch reference ...');
      reference = await runPytorchReference({ size, batches, runs, maxSeconds, threads });
    }
    let endToEnd: EndToEndResult | null = null;
    if (options.endToEnd ?? true) {
      log('measuring a 40-slice study end to end ...');
      const config: EndToEndConfig = { mode: 'e2e', modelDir, slices: 40, imageSize: 512, batch: 16 };
      endToEnd = await runWorker<EndToEndResult>(config);
    }
    return {
      benchmark: 'inception-v3-inference',
      date: new Date().toISOString(),
      // Load average at the end: a busy machine (other jobs on the same cores) explains low or noisy figures.
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: loadavg() },
      size,
      threads,
      engines,
      reference,
      endToEnd,
      ratios: ratiosFor(engines, reference),
    };
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

function ratiosFor(engines: readonly ModelWorkerResult[], reference: ReferenceResult | null): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (!reference?.available) return out;
  for (const e of engines) {
    if (!e.available) continue;
    for (const b of e.batches) {
      const ref = reference.batches.find((r) => r.batch === b.batch);
      if (b.imagesPerSecond && ref?.imagesPerSecond) (out[e.engine] ??= {})[String(b.batch)] = b.imagesPerSecond / ref.imagesPerSecond;
    }
  }
  return out;
}

/** Runs model-worker in a child node process (same loader flags, so it also works under tsx). */
function runWorker<T>(config: ModelWorkerConfig | EndToEndConfig): Promise<T> {
  const here = fileURLToPath(import.meta.url);
  const worker = join(dirname(here), `model-worker${here.endsWith('.ts') ? '.ts' : '.js'}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, worker, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as T);
      else reject(new AppError('INTERNAL', `bench worker failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '-' : v.toFixed(digits));

/** The human table: one row per engine and the reference, ratios against PyTorch, skips and absences spelled out. */
export function formatModelBenchTable(r: ModelBenchResult): string {
  const batches = [...new Set([...r.engines.flatMap((e) => (e.available ? e.batches.map((b) => b.batch) : [])), ...(r.reference?.available ? r.reference.batches.map((b) => b.batch) : [])])].sort((a, b) => a - b);
  const header = ['engine', 'device', 'load s', 'warm-up s', ...batches.map((b) => `b${b} img/s (best)`), ...batches.map((b) => `b${b} ×torch`), 'peak RSS MiB'];
  const rows: string[][] = [];
  const notes: string[] = [];
  const rowFor = (name: string, res: { device: string; loadMs: number; warmUpMs: number; peakRssMiB: number; batches: readonly { batch: number; status: string; reason?: string; imagesPerSecond?: number; bestImagesPerSecond?: number }[] }, ratios: Record<string, number> | undefined): string[] => {
    const cells = batches.map((b) => {
      const m = res.batches.find((x) => x.batch === b);
      if (!m) return '-';
      if (m.status === 'skipped') {
        notes.push(`${name} batch ${b}: skipped, ${m.reason ?? 'too slow'}`);
        return 'skipped';
      }
      return m.bestImagesPerSecond ? `${fmt(m.imagesPerSecond, 2)} (${fmt(m.bestImagesPerSecond, 1)})` : fmt(m.imagesPerSecond, 2);
    });
    return [name, res.device, fmt(res.loadMs / 1000, 2), fmt(res.warmUpMs / 1000, 2), ...cells, ...batches.map((b) => (ratios?.[String(b)] ? `${ratios[String(b)]!.toFixed(2)}×` : '-')), fmt(res.peakRssMiB, 0)];
  };
  for (const e of r.engines) {
    if (e.available) rows.push(rowFor(e.engine, e, r.ratios[e.engine]));
    else {
      rows.push([e.engine, 'not available', ...header.slice(2).map(() => '-')]);
      notes.push(`${e.engine}: ${e.reason}`);
    }
  }
  if (r.reference?.available) rows.push(rowFor('PyTorch (reference)', r.reference, undefined));
  else rows.push(['PyTorch (reference)', 'not available', ...header.slice(2).map(() => '-')]);
  if (r.reference && !r.reference.available) notes.push(`PyTorch reference: ${r.reference.reason}`);
  if (r.reference?.available) notes.push(`reference: ${r.reference.description}`);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `InceptionV3 ${r.size}px inference, images/s median of runs (fastest run), ratios of medians — ${r.machine.cores} × ${r.machine.cpu}, node ${r.machine.node}, ${r.threads} threads, load average ${r.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    line(header),
    ...rows.map(line),
  ];
  if (r.endToEnd) {
    const e = r.endToEnd;
    out.push(
      '',
      `end to end (${e.engine}): ${e.slices}-slice ${e.imageSize}×${e.imageSize} synthetic study in ${fmt(e.totalMs / 1000, 2)} s = ${fmt(e.slicesPerSecond)} slices/s ` +
        `(decode ${fmt(e.decodeMs / 1000, 2)} s, preprocess+infer ${fmt(e.inferMs / 1000, 2)} s; model load ${fmt(e.modelLoadMs / 1000, 2)} s once per process; peak RSS ${fmt(e.peakRssMiB, 0)} MiB)`,
    );
  }
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return `${out.join('\n')}\n`;
}

/** Writes the JSON next to the package (bench-results/, git-ignored) and returns the path. */
export async function writeModelBenchJson(result: ModelBenchResult, dir = defaultResultsDir()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `model-${result.date.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(join(dir, 'model-latest.json'), text);
  return file;
}

function defaultResultsDir(): string {
  // dist/bench/model.js or src/bench/model.ts → <package>/bench-results
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-results');
}
