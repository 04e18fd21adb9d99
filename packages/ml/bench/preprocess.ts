import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '@ich/errors';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { decodeNativeFrame } from '../src/decode/native.js';
import { parseDicom } from '../src/dicom/parse.js';
import { createOnnxEngine } from '../src/engines/onnx-engine.js';
import { toHounsfield } from '../src/hu/to-hounsfield.js';
import { CARD_FILE, readModelCard } from '../src/model/model-dir.js';
import { resolveModelDir } from '../src/model/resolve-model-dir.js';
import { ONNX_INPUT_NAME } from '../src/onnx/export-layers-model.js';
import { exportPrologueToOnnx, PROLOGUE_INPUT_NAME } from '../src/onnx/preprocess-prologue.js';
import { preprocessDicomInto, preprocessKernel } from '../src/pipeline/preprocess-dicom.js';
import { planResize } from '../src/resize/bilinear.js';
import { synthStudy } from '../src/synth/study.js';
import { huInt16 } from '../src/tensor/hu-int16.js';
import { preprocessTensor } from '../src/tensor/preprocess-tfjs.js';
import { windowResizeInto } from '../src/tensor/window-resize.js';
import { DEFAULT_WINDOWS } from '../src/window/windows.js';

/**
 * Preprocessing throughput: 512×512 int16 CT slices (synthetic phantoms, explicit little endian) → read, parse,
 * decode, HU, bilinear resize, three windows → float32 299×299×3, one core, one slice at a time (files read
 * synchronously on the calling thread into a reused buffer, as Python reads them). In the same run,
 * alternating rounds: @ich/ml's fused path (the product's), its former unfused window-then-resize path, the same
 * preprocessing as graph operations on the CPU (ONNX prologue in onnxruntime, 1 thread; tfjs ops on the tfjs CPU
 * backend), and the Python references (preprocess-reference.py: the seed's pydicom + numpy windows + OpenCV
 * cv2.resize in both orders, and a numpy fancy-indexing resize), all decoding with their own DICOM parser.
 */
export interface PreprocessBenchOptions {
  readonly slices?: number;
  readonly rounds?: number;
  readonly size?: number;
  readonly inputSize?: number;
  readonly python?: string;
  /** Model directory for the order's effect on the outputs (default: resolveModelDir()); skipped if absent. */
  readonly modelDir?: string;
  readonly onProgress?: (line: string) => void;
}

export interface Rates {
  /** Wall clock, per round. */
  readonly slicesPerSecond: readonly number[];
  readonly median: number;
  /**
   * Slices per second of CPU time the process used (all its threads: V8's GC helpers count against Node), per
   * round: on a loaded shared machine the wall clock also counts the time other processes held the core.
   */
  readonly slicesPerCpuSecond: readonly number[];
  readonly cpuMedian: number;
  /** The best round's CPU-time rate: the least disturbed by other processes sharing the core's caches. */
  readonly cpuBest: number;
}

export const NODE_PATHS = {
  fused: '@ich/ml fused: resize HU → windows (product)',
  unfused: '@ich/ml before: window → resize, unfused',
  onnx: 'ONNX prologue, onnxruntime CPU, 1 thread',
  tfjs: 'tfjs ops, tfjs CPU backend',
} as const;
export type NodePath = keyof typeof NODE_PATHS;

export const PYTHON_REFERENCES = {
  'opencv-resize-window': 'pydicom + cv2.resize HU → numpy windows',
  'opencv-window-resize': 'pydicom + numpy windows → cv2.resize (seed)',
  'numpy-window-resize': 'pydicom + numpy windows → numpy resize',
} as const;
export type PythonReference = keyof typeof PYTHON_REFERENCES;

export interface PreprocessBenchResult {
  readonly benchmark: 'preprocess-ct-slices';
  readonly date: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly load: string;
    /** The core everything ran on (taskset), or null when not pinned. */
    readonly pinnedCore: string | null;
  };
  readonly input: string;
  readonly output: string;
  readonly slicesPerRound: number;
  readonly rounds: number;
  /** The fused path's kernel in this run ('js' with the reason when wasm SIMD could not be used). */
  readonly fusedKernel: string;
  readonly node: Record<NodePath, Rates>;
  readonly python: { readonly rates: Record<PythonReference, Rates>; readonly versions: Record<string, string> } | null;
  /** The fastest Python reference by wall-clock median, and the fused path's median divided by it (goal ≥ 2). */
  readonly fastestReference: PythonReference | null;
  readonly ratio: number | null;
  /** The same by CPU-time medians. */
  readonly fastestReferenceCpu: PythonReference | null;
  readonly ratioCpu: number | null;
  /** Best-round CPU-time rate of the fused path ÷ that of the reference fastest by the same measure. */
  readonly ratioCpuBest: number | null;
  /** Largest |difference| on the first slice, in window units ([0, 1]). */
  readonly maxAbsDiff: {
    /** The order change: fused (resize → window) vs the former window → resize, same sampling. */
    readonly orderChange: number;
    /** The same over every bench slice. */
    readonly orderChangeAllSlices: number;
    /** numpy reference (window → resize, TF sampling) vs the former path: they compute the same pixels. */
    readonly numpyVsUnfused: number | null;
    readonly onnxVsFused: number;
    readonly tfjsVsFused: number;
  };
  /** The order's effect on the model's outputs over all bench slices (null without a model directory). */
  readonly orderEffectOnModel: {
    readonly modelDir: string;
    readonly model: string;
    readonly maxAbsDeltaProbability: number;
    readonly triageChanges: number;
  } | null;
  readonly notes: readonly string[];
}

const exec = promisify(execFile);

/**
 * Reads a whole file synchronously into one buffer reused from call to call (grown when needed): the bytes stay
 * valid until the next read. A fresh 512 KB buffer per slice costs ~0.3 ms of page faults per slice in the kernel
 * (measured: system time 360 µs of 1.2 ms CPU per slice with readFileSync), more than the parse.
 */
function reusingReader(): (path: string) => Uint8Array {
  let buffer = new Uint8Array(1 << 20);
  return (path) => {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (buffer.length < size) buffer = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, buffer, done, size - done, done);
        if (n === 0) break;
        done += n;
      }
      return buffer.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  };
}

export async function runPreprocessBench(options: PreprocessBenchOptions = {}): Promise<PreprocessBenchResult> {
  const slices = options.slices ?? 48;
  const rounds = options.rounds ?? 7;
  const size = options.size ?? 299;
  const inputSize = options.inputSize ?? 512;
  const progress = options.onProgress ?? (() => undefined);
  const notes: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'ich-bench-pre-'));
  const ort = (await import('onnxruntime-node')) as typeof Ort;
  const session = await ort.InferenceSession.create(exportPrologueToOnnx({ size, windows: DEFAULT_WINDOWS }), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const previousBackend = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    progress(`preprocess bench: writing ${slices} synthetic ${inputSize}×${inputSize} int16 CT slices`);
    const study = synthStudy({ seed: 'bench', slices, size: inputSize, bleed: 'subdural' });
    const paths: string[] = [];
    for (const f of study.files) {
      const p = join(dir, f.name);
      await writeFile(p, f.bytes);
      paths.push(p);
    }
    const px = size * size * 3;
    const fusedBatch = new Float32Array(px);
    const readFileSync = reusingReader();
    const runners: Record<NodePath, (path: string) => Promise<Float32Array>> = {
      fused: async (path) => {
        const res = await preprocessDicomInto(readFileSync(path), { size }, fusedBatch, 0);
        if (!res.ok) throw res.error;
        return fusedBatch;
      },
      unfused: async (path) => {
        const { hu, rows, columns } = decodeHu(readFileSync(path));
        const out = new Float32Array(px);
        windowResizeInto([hu, hu, hu], DEFAULT_WINDOWS, planResize(rows, columns, size, size), out, 0);
        return out;
      },
      onnx: async (path) => {
        const { values, attrs } = decodeStored(readFileSync(path));
        const hu = huInt16(values, attrs);
        const feeds = { [PROLOGUE_INPUT_NAME]: new ort.Tensor('int16', hu, [1, attrs.rows, attrs.columns]) };
        return (await session.run(feeds))[ONNX_INPUT_NAME]?.data as Float32Array;
      },
      tfjs: async (path) => {
        const { values, attrs } = decodeStored(readFileSync(path));
        const hu = Int32Array.from(huInt16(values, attrs));
        const x = tf.tensor3d(hu, [1, attrs.rows, attrs.columns], 'int32');
        const y = preprocessTensor(x, size, DEFAULT_WINDOWS);
        const data = (await y.data()) as Float32Array;
        tf.dispose([x, y]);
        return data;
      },
    };
    const kernel = await preprocessKernel();
    const names = Object.keys(NODE_PATHS) as NodePath[];
    // tfjs' CPU backend is two orders of magnitude slower: a few slices give its rate without stretching each round.
    const subset: Record<NodePath, readonly string[]> = {
      fused: paths,
      unfused: paths,
      onnx: paths,
      tfjs: paths.slice(0, 6),
    };
    const first = {} as Record<NodePath, Float32Array>;
    for (const name of names) first[name] = Float32Array.from(await runners[name](paths[0] as string)); // warm-up
    const nodeRates = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<NodePath, number[]>;
    const nodeCpuRates = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<NodePath, number[]>;

    const python = options.python ?? '/usr/bin/python3';
    const script = fileURLToPath(new URL('./preprocess-reference.py', import.meta.url));
    const outPrefix = join(dir, 'first');
    const pyNames = Object.keys(PYTHON_REFERENCES) as PythonReference[];
    const pyRates = Object.fromEntries(pyNames.map((n) => [n, [] as number[]])) as Record<PythonReference, number[]>;
    const pyCpuRates = Object.fromEntries(pyNames.map((n) => [n, [] as number[]])) as Record<PythonReference, number[]>;
    let versions: Record<string, string> = {};
    let pythonFailed = false;
    // Every path and the Python references alternate round by round, so that load from other processes on a shared
    // machine hits all of them alike; medians over rounds.
    progress(`preprocess bench: ${rounds} alternating rounds (same files, one core each)`);
    for (let r = 0; r < rounds; r += 1) {
      for (const name of names) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        for (const p of subset[name]) await runners[name](p);
        const used = process.cpuUsage(cpu);
        nodeRates[name].push(subset[name].length / ((performance.now() - start) / 1000));
        nodeCpuRates[name].push(subset[name].length / ((used.user + used.system) / 1e6));
      }
      if (!pythonFailed) {
        try {
          const { stdout } = await exec(python, [script, String(size), '1', outPrefix, ...paths], {
            env: {
              ...process.env,
              OMP_NUM_THREADS: '1',
              OPENBLAS_NUM_THREADS: '1',
              MKL_NUM_THREADS: '1',
              OPENCV_FOR_THREADS_NUM: '1',
            },
            maxBuffer: 1 << 20,
            timeout: 600_000,
          });
          const parsed = JSON.parse(stdout) as {
            rates: Record<PythonReference, number[]>;
            cpuRates: Record<PythonReference, number[]>;
            versions: typeof versions;
          };
          for (const name of pyNames) {
            pyRates[name].push(...(parsed.rates[name] ?? []));
            pyCpuRates[name].push(...(parsed.cpuRates[name] ?? []));
          }
          versions = parsed.versions;
        } catch (thrown) {
          pythonFailed = true;
          notes.push(
            `Python reference unavailable (${(thrown as Error).message.split('\n')[0]}); install python3-pydicom python3-numpy python3-opencv`,
          );
        }
      }
      const line = [
        ...names.map((n) => `${n} ${nodeRates[n].at(-1)?.toFixed(0)} (${nodeCpuRates[n].at(-1)?.toFixed(0)})`),
        ...pyNames.map(
          (n) => `${n} ${pyRates[n].at(-1)?.toFixed(0) ?? '-'} (${pyCpuRates[n].at(-1)?.toFixed(0) ?? '-'})`,
        ),
      ];
      progress(`  round ${r + 1}/${rounds}, slices/s wall (per CPU s): ${line.join(', ')}`);
    }

    const rates = (values: number[], cpuValues: number[]): Rates => ({
      slicesPerSecond: values,
      median: median(values),
      slicesPerCpuSecond: cpuValues,
      cpuMedian: median(cpuValues),
      cpuBest: Math.max(...cpuValues),
    });
    const node = Object.fromEntries(names.map((n) => [n, rates(nodeRates[n], nodeCpuRates[n])])) as Record<
      NodePath,
      Rates
    >;
    let pythonResult: PreprocessBenchResult['python'] = null;
    let fastest: PythonReference | null = null;
    let fastestCpu: PythonReference | null = null;
    let numpyVsUnfused: number | null = null;
    if (!pythonFailed) {
      const py = Object.fromEntries(pyNames.map((n) => [n, rates(pyRates[n], pyCpuRates[n])])) as Record<
        PythonReference,
        Rates
      >;
      pythonResult = { rates: py, versions };
      fastest = pyNames.reduce((a, b) => (py[b].median > py[a].median ? b : a));
      fastestCpu = pyNames.reduce((a, b) => (py[b].cpuMedian > py[a].cpuMedian ? b : a));
      const numpyFirst = await readF32(`${outPrefix}.numpy-window-resize.f32`);
      numpyVsUnfused = maxAbsDiff(numpyFirst, first.unfused);
    }
    return {
      benchmark: 'preprocess-ct-slices',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        load: (await readFile('/proc/loadavg', 'utf8').catch(() => 'n/a')).trim(),
        pinnedCore: process.env.ICH_BENCH_CPU ?? null,
      },
      input: `${inputSize}×${inputSize} int16 CT, explicit VR little endian, read from disk (page cache)`,
      output: `float32 ${size}×${size}×3 (brain, subdural, soft-tissue windows)`,
      slicesPerRound: paths.length,
      rounds,
      fusedKernel: kernel.kernel + (kernel.reason ? ` (${kernel.reason})` : ''),
      node,
      python: pythonResult,
      fastestReference: fastest,
      ratio: fastest && pythonResult ? node.fused.median / pythonResult.rates[fastest].median : null,
      fastestReferenceCpu: fastestCpu,
      ratioCpu: fastestCpu && pythonResult ? node.fused.cpuMedian / pythonResult.rates[fastestCpu].cpuMedian : null,
      ratioCpuBest: pythonResult
        ? node.fused.cpuBest / Math.max(...pyNames.map((n) => pythonResult.rates[n].cpuBest))
        : null,
      maxAbsDiff: {
        orderChange: maxAbsDiff(first.fused, first.unfused),
        orderChangeAllSlices: await orderChangeAll(paths, size, readFileSync),
        numpyVsUnfused,
        onnxVsFused: maxAbsDiff(first.onnx, first.fused),
        tfjsVsFused: maxAbsDiff(first.tfjs, first.fused),
      },
      orderEffectOnModel: await orderEffect(paths, size, options.modelDir ?? resolveModelDir(), notes, progress),
      notes,
    };
  } finally {
    await session.release();
    if (previousBackend && previousBackend !== 'cpu') await tf.setBackend(previousBackend);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * How much the order change (resize HU then window, instead of window then resize) moves the model's outputs: both
 * orders' batches of every bench slice through the model directory's ONNX export, largest |Δp| and the number of
 * slice triage decisions (any label at or above its threshold) that flip.
 */
async function orderEffect(
  paths: readonly string[],
  size: number,
  modelDir: string,
  notes: string[],
  progress: (line: string) => void,
): Promise<PreprocessBenchResult['orderEffectOnModel']> {
  if (!existsSync(join(modelDir, CARD_FILE))) {
    notes.push(`order effect on the model not measured: no model in ${modelDir} (ich-ml init-model or train one)`);
    return null;
  }
  const card = await readModelCard(modelDir);
  if (card.contextSlices !== 1 || card.inputSize !== size || !card.files.onnx) {
    notes.push(`order effect on the model not measured: ${modelDir} is not a ${size}px three-window ONNX model`);
    return null;
  }
  progress(`preprocess bench: the order's effect on ${card.name} ${card.version} (${card.status})`);
  const engine = await createOnnxEngine(modelDir, card, { threads: 1 });
  try {
    const px = size * size * 3;
    const before = new Float32Array(paths.length * px);
    const after = new Float32Array(paths.length * px);
    for (let i = 0; i < paths.length; i += 1) {
      const bytes = await readFile(paths[i] as string);
      const res = await preprocessDicomInto(bytes, { size, windows: card.windows }, after, i * px);
      if (!res.ok) throw res.error;
      const { hu, rows, columns } = decodeHu(bytes);
      windowResizeInto([hu, hu, hu], card.windows, planResize(rows, columns, size, size), before, i * px);
    }
    const p0 = await engine.run(before, paths.length);
    const p1 = await engine.run(after, paths.length);
    const labels = card.labels;
    let flips = 0;
    for (let i = 0; i < paths.length; i += 1) {
      const triage = (p: Float32Array) =>
        labels.some((l, j) => (p[i * labels.length + j] as number) >= card.thresholds[l]);
      if (triage(p0) !== triage(p1)) flips += 1;
    }
    return {
      modelDir,
      model: `${card.name} ${card.version} (${card.status})`,
      maxAbsDeltaProbability: maxAbsDiff(p0, p1),
      triageChanges: flips,
    };
  } finally {
    await engine.dispose();
  }
}

/** Largest pixel difference between the two orders over all slices (same sampling, same windows). */
async function orderChangeAll(
  paths: readonly string[],
  size: number,
  read: (path: string) => Uint8Array,
): Promise<number> {
  const px = size * size * 3;
  const after = new Float32Array(px);
  const before = new Float32Array(px);
  let worst = 0;
  for (const path of paths) {
    const bytes = read(path);
    const res = await preprocessDicomInto(bytes, { size }, after, 0);
    if (!res.ok) throw res.error;
    const { hu, rows, columns } = decodeHu(bytes);
    windowResizeInto([hu, hu, hu], DEFAULT_WINDOWS, planResize(rows, columns, size, size), before, 0);
    worst = Math.max(worst, maxAbsDiff(after, before));
  }
  return worst;
}

function decodeStored(bytes: Uint8Array) {
  const parsed = parseDicom(bytes);
  if (!parsed.ok) throw parsed.error;
  const stored = decodeNativeFrame(parsed.value, 0, false);
  if (!stored.ok) throw stored.error;
  return { values: stored.value.values, attrs: parsed.value.attrs };
}

function decodeHu(bytes: Uint8Array) {
  const { values, attrs } = decodeStored(bytes);
  return { hu: toHounsfield(values, attrs), rows: attrs.rows, columns: attrs.columns };
}

async function readF32(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

export function formatPreprocessBench(r: PreprocessBenchResult): string {
  const f = (v: number) => v.toFixed(1).padStart(10);
  const wallBase = r.python && r.fastestReference ? r.python.rates[r.fastestReference].median : null;
  const cpuBase = r.python && r.fastestReferenceCpu ? r.python.rates[r.fastestReferenceCpu].cpuMedian : null;
  const ratio = (v: number, base: number | null) => (base ? `${(v / base).toFixed(2)}×` : '-').padStart(8);
  const line = (label: string, x: Rates) =>
    `${label.padEnd(52)}${f(x.median)}${ratio(x.median, wallBase)}${f(x.cpuMedian)}${ratio(x.cpuMedian, cpuBase)}`;
  const rows = [
    `Preprocessing: ${r.input} → ${r.output}; ${r.slicesPerRound} slices × ${r.rounds} alternating rounds, one core; medians; fused kernel: ${r.fusedKernel}`,
    `machine: ${r.machine.cpu}, ${r.machine.cores} cores${r.machine.pinnedCore === null ? '' : `, all pinned to core ${r.machine.pinnedCore}`}, load average at the end ${r.machine.load} (shared machine: absolute rates are noisy, ratios less so)`,
    '',
    `${'pipeline'.padEnd(52)}${'slices/s'.padStart(10)}${'ratio'.padStart(8)}${'per CPU s'.padStart(10)}${'ratio'.padStart(8)}`,
  ];
  for (const n of Object.keys(NODE_PATHS) as NodePath[]) rows.push(line(NODE_PATHS[n], r.node[n]));
  if (r.python)
    for (const n of Object.keys(PYTHON_REFERENCES) as PythonReference[])
      rows.push(
        line(
          `${PYTHON_REFERENCES[n]}${n === r.fastestReference ? ' *' : ''}${n === r.fastestReferenceCpu ? ' †' : ''}`,
          r.python.rates[n],
        ),
      );
  if (r.fastestReference)
    rows.push(
      '',
      `fastest reference: * wall clock ${r.fastestReference}, † CPU time ${r.fastestReferenceCpu}; @ich/ml fused vs it: ${r.ratio?.toFixed(2)}× wall, ${r.ratioCpu?.toFixed(2)}× CPU time (goal ≥ 2×); best rounds by CPU time: ${r.ratioCpuBest?.toFixed(2)}×`,
    );
  const d = r.maxAbsDiff;
  rows.push(
    `max |Δ| (window units): order change ${d.orderChange.toExponential(2)} on slice 1, ${d.orderChangeAllSlices.toExponential(2)} on all; on slice 1: numpy vs former path ${d.numpyVsUnfused?.toExponential(2) ?? 'n/a'}, ONNX prologue vs fused ${d.onnxVsFused.toExponential(2)}, tfjs ops vs fused ${d.tfjsVsFused.toExponential(2)}`,
  );
  if (r.orderEffectOnModel)
    rows.push(
      `order change on ${r.orderEffectOnModel.model}: max |Δp| ${r.orderEffectOnModel.maxAbsDeltaProbability.toExponential(2)}, slice triage flips ${r.orderEffectOnModel.triageChanges}/${r.slicesPerRound}`,
    );
  for (const note of r.notes) rows.push(`note: ${note}`);
  return `${rows.join('\n')}\n`;
}

export async function writePreprocessBenchJson(result: PreprocessBenchResult): Promise<string> {
  // bench/preprocess.ts → <package>/bench-results
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `preprocess-${result.date.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(join(dir, 'preprocess-latest.json'), text);
  return file;
}

/**
 * Runs the benchmark, prints the table on stdout and progress on stderr, writes JSON; returns an exit status. On
 * Linux with taskset it re-runs itself pinned to one core (the last), so that @ich/ml — V8's helper threads
 * included — and the Python references (children inherit the affinity) share exactly one core.
 */
export async function runPreprocessBenchCli(): Promise<number> {
  if (process.env.ICH_BENCH_CPU === undefined && process.platform === 'linux' && existsSync('/usr/bin/taskset')) {
    const cpu = String(cpus().length - 1);
    const main = fileURLToPath(new URL('./preprocess-main.ts', import.meta.url));
    // process.execArgv carries tsx's loader (the bench runs from source, outside dist/).
    const child = spawn('/usr/bin/taskset', ['-c', cpu, process.execPath, ...process.execArgv, main], {
      stdio: 'inherit',
      env: { ...process.env, ICH_BENCH_CPU: cpu },
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code ?? 1;
  }
  const result = await runPreprocessBench({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(formatPreprocessBench(result));
  const file = await writePreprocessBenchJson(result);
  process.stdout.write(`wrote ${file}\n`);
  if (!result.python) throw new AppError('INTERNAL', result.notes[0] ?? 'the Python reference did not run');
  return 0;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
