import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError } from '@ich/errors';
import { ENGINE_KINDS, type EngineKind } from '../engines/engine.js';

/** Every engine but onnx-int8, which needs an INT8 export and has its own FP32-vs-INT8 bench (`--only int8`). */
const DEFAULT_ENGINES = ENGINE_KINDS.filter((k) => k !== 'onnx-int8');

import { initModel } from '../model/init-model.js';
import { PYTORCH_REFERENCE_SCRIPT, referencePython } from './model-reference.js';
import type {
  BatchMeasurement,
  EndToEndConfig,
  EndToEndResult,
  ModelWorkerResult,
  ParticipantResult,
  ReadyMessage,
  ServeConfig,
  WorkerReply,
} from './model-worker.js';

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
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly platform: string;
    readonly loadAverage: readonly number[];
  };
  readonly size: number;
  readonly threads: number;
  readonly engines: readonly ModelWorkerResult[];
  readonly reference: ReferenceResult | null;
  readonly endToEnd: EndToEndResult | null;
  /** engine → batch → images/s ÷ PyTorch images/s at the same batch. */
  readonly ratios: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export const QUICK: Pick<ModelBenchOptions, 'runs' | 'maxSeconds'> = { runs: 3, maxSeconds: 15 };

export type ReferenceResult = ParticipantResult;

/** One live benchmark process (an engine worker or the PyTorch reference) speaking the model-worker protocol. */
interface Participant {
  readonly key: string;
  readonly isReference: boolean;
  readonly ready: ReadyMessage;
  run(batch: number): Promise<number>;
  quit(): Promise<number>;
}

async function startParticipant(
  key: string,
  isReference: boolean,
  command: string,
  args: readonly string[],
): Promise<Participant> {
  const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  // A participant that died is reported through 'close'; writing to its stdin must not crash the bench.
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return;
    waiting.shift()?.resolve(JSON.parse(line) as WorkerReply);
  });
  const failed = (why: string): AppError =>
    new AppError('INTERNAL', `bench participant ${key} ${why}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
  child.on('close', (code) => {
    for (const w of waiting.splice(0)) w.reject(failed(`exited (${code})`));
  });
  child.on('error', (e) => {
    for (const w of waiting.splice(0)) w.reject(failed(e.message));
  });
  const next = (): Promise<WorkerReply> => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  const send = (command: object): Promise<WorkerReply> => {
    const reply = next();
    child.stdin.write(`${JSON.stringify(command)}\n`);
    return reply;
  };
  const ready = await next().catch((e: Error) => ({ type: 'ready', available: false, reason: e.message }) as const);
  if (ready.type !== 'ready') throw failed('did not say ready');
  if (!ready.available) child.stdin.end();
  return {
    key,
    isReference,
    ready,
    async run(batch) {
      const reply = await send({ batch });
      if (reply.type !== 'time') throw failed('sent an unexpected reply');
      return reply.ms;
    },
    async quit() {
      const reply = await send({ quit: true });
      child.stdin.end();
      return reply.type === 'bye' ? reply.peakRssMiB : 0;
    },
  };
}

export async function runModelBench(options: ModelBenchOptions = {}): Promise<ModelBenchResult> {
  const log = options.onProgress ?? (() => undefined);
  const threads = options.threads ?? availableParallelism();
  const batches = [...(options.batches ?? [1, 16])].sort((a, b) => a - b);
  const runs = options.runs ?? 5;
  const maxSeconds = options.maxSeconds ?? 60;
  let size = options.size ?? 299;
  let modelDir = options.modelDir;
  let tempDir: string | null = null;
  const participants: Participant[] = [];
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
    // Start one at a time, so that each load time is measured alone.
    const unavailable = new Map<string, string>();
    const readyOf = new Map<string, Extract<ReadyMessage, { available: true }>>();
    const here = fileURLToPath(import.meta.url);
    const worker = join(dirname(here), `model-worker${here.endsWith('.ts') ? '.ts' : '.js'}`);
    for (const engine of options.engines ?? DEFAULT_ENGINES) {
      log(`loading ${engine} ...`);
      const config: ServeConfig = { engine, modelDir, threads };
      const p = await startParticipant(engine, false, process.execPath, [
        ...process.execArgv,
        worker,
        JSON.stringify(config),
      ]);
      if (p.ready.available) {
        participants.push(p);
        readyOf.set(engine, p.ready);
      } else unavailable.set(engine, p.ready.reason);
    }
    if (options.reference ?? true) {
      log('loading the PyTorch reference ...');
      const p = await startParticipant('reference', true, referencePython(), [
        '-c',
        PYTORCH_REFERENCE_SCRIPT,
        JSON.stringify({ size, threads }),
      ]).catch(
        (e: Error) =>
          ({
            key: 'reference',
            isReference: true,
            ready: { type: 'ready', available: false, reason: e.message },
          }) as Participant,
      );
      if (p.ready.available) {
        participants.push(p);
        readyOf.set('reference', p.ready);
      } else unavailable.set('reference', p.ready.reason);
    }

    // Interleaved rounds: each round times one batch per participant, in a rotating order, so that other jobs on
    // the machine slow all of them alike and the ratios stay fair.
    const measured = new Map<string, BatchMeasurement[]>(participants.map((p) => [p.key, []]));
    const perImage = new Map<string, number>(
      participants.map((p) => [p.key, p.ready.available ? p.ready.warmUpMs / 1000 : Infinity]),
    );
    for (const batch of batches) {
      const active: Participant[] = [];
      for (const p of participants) {
        const seconds = perImage.get(p.key)! * batch;
        // The reference is the yardstick and is never skipped.
        if (!p.isReference && seconds * (runs + 1) > maxSeconds) {
          measured.get(p.key)!.push({
            batch,
            status: 'skipped',
            reason: `too slow: ~${seconds.toFixed(1)} s per batch, ${runs + 1} runs > ${maxSeconds} s budget`,
          });
          continue;
        }
        await p.run(batch); // warm-up at this batch size
        active.push(p);
      }
      const times = new Map<string, number[]>(active.map((p) => [p.key, []]));
      for (let r = 0; r < runs; r++) {
        log(`batch ${batch}: round ${r + 1}/${runs}`);
        for (let k = 0; k < active.length; k++) {
          const p = active[(k + r) % active.length]!;
          times.get(p.key)!.push(await p.run(batch));
        }
      }
      for (const p of active) {
        const t = times.get(p.key)!.sort((a, b) => a - b);
        const median = t.length % 2 ? t[(t.length - 1) / 2]! : (t[t.length / 2 - 1]! + t[t.length / 2]!) / 2;
        perImage.set(p.key, Math.min(perImage.get(p.key)!, median / 1000 / batch));
        measured.get(p.key)!.push({
          batch,
          status: 'measured',
          runs,
          medianBatchMs: median,
          imagesPerSecond: (batch * 1000) / median,
          bestImagesPerSecond: (batch * 1000) / t[0]!,
        });
      }
    }
    const peak = new Map<string, number>();
    for (const p of participants.splice(0)) peak.set(p.key, await p.quit());

    const resultFor = (key: string): ReferenceResult => {
      const reason = unavailable.get(key);
      if (reason !== undefined) return { available: false, reason };
      const ready = readyOf.get(key)!;
      return {
        available: true,
        description: ready.description,
        device: ready.device,
        loadMs: ready.loadMs,
        warmUpMs: ready.warmUpMs,
        peakRssMiB: peak.get(key) ?? 0,
        batches: measured.get(key) ?? [],
      };
    };
    const engines: ModelWorkerResult[] = (options.engines ?? DEFAULT_ENGINES).map((engine) => ({
      engine,
      ...resultFor(engine),
    }));
    const reference = (options.reference ?? true) ? resultFor('reference') : null;

    let endToEnd: EndToEndResult | null = null;
    if (options.endToEnd ?? true) {
      log('measuring a 40-slice study end to end ...');
      const config: EndToEndConfig = { mode: 'e2e', modelDir, slices: 40, imageSize: 512, batch: 16 };
      endToEnd = await runOnce<EndToEndResult>(worker, config);
    }
    return {
      benchmark: 'inception-v3-inference',
      date: new Date().toISOString(),
      // Load average at the end: a busy machine (other jobs on the same cores) explains low or noisy figures.
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: availableParallelism(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadAverage: loadavg(),
      },
      size,
      threads,
      engines,
      reference,
      endToEnd,
      ratios: ratiosFor(engines, reference),
    };
  } finally {
    for (const p of participants) await p.quit().catch(() => undefined);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

function ratiosFor(
  engines: readonly ModelWorkerResult[],
  reference: ReferenceResult | null,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (!reference?.available) return out;
  for (const e of engines) {
    if (!e.available) continue;
    for (const b of e.batches) {
      const ref = reference.batches.find((r) => r.batch === b.batch);
      if (b.imagesPerSecond && ref?.imagesPerSecond) {
        const row = out[e.engine] ?? {};
        out[e.engine] = row;
        row[String(b.batch)] = b.imagesPerSecond / ref.imagesPerSecond;
      }
    }
  }
  return out;
}

/** Runs model-worker once (end-to-end mode) in a child node process with the same loader flags (works under tsx). */
function runOnce<T>(worker: string, config: EndToEndConfig): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, worker, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as T);
      else
        reject(
          new AppError('INTERNAL', `bench worker failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`),
        );
    });
  });
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '-' : v.toFixed(digits));

/** The human table: one row per engine and the reference, ratios against PyTorch, skips and absences spelled out. */
export function formatModelBenchTable(r: ModelBenchResult): string {
  const batches = [
    ...new Set([
      ...r.engines.flatMap((e) => (e.available ? e.batches.map((b) => b.batch) : [])),
      ...(r.reference?.available ? r.reference.batches.map((b) => b.batch) : []),
    ]),
  ].sort((a, b) => a - b);
  const header = [
    'engine',
    'device',
    'load s',
    'warm-up s',
    ...batches.map((b) => `b${b} img/s (best)`),
    ...batches.map((b) => `b${b} ×torch`),
    'peak RSS MiB',
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  const rowFor = (
    name: string,
    res: {
      device: string;
      loadMs: number;
      warmUpMs: number;
      peakRssMiB: number;
      batches: readonly {
        batch: number;
        status: string;
        reason?: string;
        imagesPerSecond?: number;
        bestImagesPerSecond?: number;
      }[];
    },
    ratios: Record<string, number> | undefined,
  ): string[] => {
    const cells = batches.map((b) => {
      const m = res.batches.find((x) => x.batch === b);
      if (!m) return '-';
      if (m.status === 'skipped') {
        notes.push(`${name} batch ${b}: skipped, ${m.reason ?? 'too slow'}`);
        return 'skipped';
      }
      return m.bestImagesPerSecond
        ? `${fmt(m.imagesPerSecond, 2)} (${fmt(m.bestImagesPerSecond, 1)})`
        : fmt(m.imagesPerSecond, 2);
    });
    return [
      name,
      res.device,
      fmt(res.loadMs / 1000, 2),
      fmt(res.warmUpMs / 1000, 2),
      ...cells,
      ...batches.map((b) => (ratios?.[String(b)] ? `${ratios[String(b)]!.toFixed(2)}×` : '-')),
      fmt(res.peakRssMiB, 0),
    ];
  };
  for (const e of r.engines) {
    if (e.available) rows.push(rowFor(e.engine, e, r.ratios[e.engine]));
    else {
      rows.push([e.engine, 'not available', ...header.slice(2).map(() => '-')]);
      notes.push(e.reason.startsWith(`${e.engine}:`) ? e.reason : `${e.engine}: ${e.reason}`);
    }
  }
  if (r.reference?.available) rows.push(rowFor('PyTorch (reference)', r.reference, undefined));
  else rows.push(['PyTorch (reference)', 'not available', ...header.slice(2).map(() => '-')]);
  if (r.reference && !r.reference.available) notes.push(`PyTorch reference: ${r.reference.reason}`);
  if (r.reference?.available) notes.push(`reference: ${r.reference.description}`);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
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
        `(decode ${fmt(e.decodeMs / 1000, 2)} s, preprocess+infer ${fmt(e.inferMs / 1000, 2)} s); first study after start ${fmt(e.firstStudyMs / 1000, 2)} s; ` +
        `model load ${fmt(e.modelLoadMs / 1000, 2)} s once per process; peak RSS ${fmt(e.peakRssMiB, 0)} MiB`,
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
