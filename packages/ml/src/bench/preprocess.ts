import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '@ich/errors';
import { decodeNativeFrame } from '../decode/native.js';
import { parseDicom } from '../dicom/parse.js';
import { toHounsfield } from '../hu/to-hounsfield.js';
import { synthStudy } from '../synth/study.js';
import { buildBatch } from '../tensor/build-batch.js';

/**
 * Preprocessing throughput: 512×512 int16 CT slices (synthetic phantoms, explicit little endian) → read, parse,
 * decode, HU, three windows, bilinear resize → float32 299×299×3, on one core. The reference is pydicom + numpy
 * (and a scipy.ndimage variant) doing the same steps on the same files in the same run, single-threaded.
 */
export interface PreprocessBenchOptions {
  readonly slices?: number;
  readonly rounds?: number;
  readonly size?: number;
  readonly inputSize?: number;
  readonly python?: string;
  readonly onProgress?: (line: string) => void;
}

export interface PreprocessBenchResult {
  readonly benchmark: 'preprocess-ct-slices';
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
  readonly input: string;
  readonly output: string;
  readonly slicesPerRound: number;
  readonly rounds: number;
  readonly node: { readonly slicesPerSecond: readonly number[]; readonly median: number };
  readonly python: {
    readonly numpy: { readonly slicesPerSecond: readonly number[]; readonly median: number };
    readonly scipy: { readonly slicesPerSecond: readonly number[]; readonly median: number };
    readonly versions: Record<string, string>;
  } | null;
  /** Node median ÷ the faster Python median. */
  readonly ratio: number | null;
  /** Largest |difference| between the Node and numpy outputs for the first slice (they compute the same thing). */
  readonly maxAbsDiffVsNumpy: number | null;
  readonly note?: string;
}

const exec = promisify(execFile);

export async function runPreprocessBench(options: PreprocessBenchOptions = {}): Promise<PreprocessBenchResult> {
  const slices = options.slices ?? 24;
  const rounds = options.rounds ?? 5;
  const size = options.size ?? 299;
  const inputSize = options.inputSize ?? 512;
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'ich-bench-pre-'));
  try {
    progress(`preprocess bench: writing ${slices} synthetic ${inputSize}×${inputSize} int16 CT slices`);
    const study = synthStudy({ seed: 'bench', slices, size: inputSize, bleed: 'subdural' });
    const paths: string[] = [];
    for (const f of study.files) {
      const p = join(dir, f.name);
      await writeFile(p, f.bytes);
      paths.push(p);
    }

    // Node and Python rounds alternate, so that load from other processes on a shared machine hits both alike.
    progress(
      `preprocess bench: ${rounds} alternating rounds of @ich/ml and pydicom + numpy / scipy (same files, one core each)`,
    );
    const python = options.python ?? '/usr/bin/python3';
    const script = fileURLToPath(new URL('../../src/bench/preprocess-reference.py', import.meta.url));
    const firstOut = join(dir, 'first.f32');
    const nodeRates: number[] = [];
    const numpyRates: number[] = [];
    const scipyRates: number[] = [];
    let versions: Record<string, string> = {};
    let first: Float32Array | null = null;
    let note: string | undefined;
    for (const p of paths) first ??= await preprocessFile(p, size); // warm-up
    for (let r = 0; r < rounds; r += 1) {
      const start = performance.now();
      for (const p of paths) await preprocessFile(p, size);
      nodeRates.push(paths.length / ((performance.now() - start) / 1000));
      if (note) continue;
      try {
        const { stdout } = await exec(python, [script, String(size), '1', firstOut, ...paths], {
          env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
          maxBuffer: 1 << 20,
          timeout: 600_000,
        });
        const parsed = JSON.parse(stdout) as { numpy: number[]; scipy: number[]; versions: Record<string, string> };
        numpyRates.push(...parsed.numpy);
        scipyRates.push(...parsed.scipy);
        versions = parsed.versions;
      } catch (thrown) {
        note = `Python reference unavailable (${(thrown as Error).message.split('\n')[0]}); install python3-pydicom python3-numpy python3-scipy`;
      }
      progress(
        `  round ${r + 1}/${rounds}: @ich/ml ${nodeRates.at(-1)?.toFixed(1)} slices/s, numpy ${numpyRates.at(-1)?.toFixed(1) ?? '-'}, scipy ${scipyRates.at(-1)?.toFixed(1) ?? '-'}`,
      );
    }
    let reference: PreprocessBenchResult['python'] = null;
    let maxAbsDiff: number | null = null;
    if (!note && numpyRates.length > 0) {
      reference = {
        numpy: { slicesPerSecond: numpyRates, median: median(numpyRates) },
        scipy: { slicesPerSecond: scipyRates, median: median(scipyRates) },
        versions,
      };
      const b = await readFile(firstOut);
      const py = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
      if (first && py.length === first.length) {
        maxAbsDiff = 0;
        for (let i = 0; i < py.length; i += 1)
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs((py[i] as number) - (first[i] as number)));
      }
    }
    const nodeMedian = median(nodeRates);
    const best = reference ? Math.max(reference.numpy.median, reference.scipy.median) : null;
    return {
      benchmark: 'preprocess-ct-slices',
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
      input: `${inputSize}×${inputSize} int16 CT, explicit VR little endian, read from disk (page cache)`,
      output: `float32 ${size}×${size}×3 (brain, subdural, soft-tissue windows)`,
      slicesPerRound: paths.length,
      rounds,
      node: { slicesPerSecond: nodeRates, median: nodeMedian },
      python: reference,
      ratio: best ? nodeMedian / best : null,
      maxAbsDiffVsNumpy: maxAbsDiff,
      ...(note ? { note } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The measured Node path: the same public functions the worker uses, one slice at a time, on this thread. */
async function preprocessFile(path: string, size: number): Promise<Float32Array> {
  const parsed = parseDicom(await readFile(path));
  if (!parsed.ok) throw parsed.error;
  const stored = decodeNativeFrame(parsed.value, 0, false);
  if (!stored.ok) throw stored.error;
  const { rows, columns } = parsed.value.attrs;
  const hu = toHounsfield(stored.value.values, parsed.value.attrs);
  return buildBatch([{ hu, rows, columns }], 0, 1, { size });
}

export function formatPreprocessBench(r: PreprocessBenchResult): string {
  const f = (v: number) => v.toFixed(1).padStart(10);
  const rows = [
    `Preprocessing: ${r.input} → ${r.output}; ${r.slicesPerRound} slices × ${r.rounds} rounds, one core; medians`,
    '',
    `${'pipeline'.padEnd(44)}${'slices/s'.padStart(10)}${'ratio'.padStart(10)}`,
    `${`@ich/ml (Node ${r.machine.node}${')'.padEnd(0)}`}`.padEnd(44) + f(r.node.median) + '1.00×'.padStart(10),
  ];
  if (r.python) {
    rows.push(
      `${'pydicom + numpy (reference)'.padEnd(44)}${f(r.python.numpy.median)}${`${(r.node.median / r.python.numpy.median).toFixed(2)}×`.padStart(10)}`,
    );
    rows.push(
      `${'pydicom + scipy.ndimage (reference)'.padEnd(44)}${f(r.python.scipy.median)}${`${(r.node.median / r.python.scipy.median).toFixed(2)}×`.padStart(10)}`,
    );
    rows.push(
      '',
      `@ich/ml vs the faster Python pipeline: ${r.ratio?.toFixed(2)}× (goal ≥ 2×); max |Node − numpy| on slice 1: ${r.maxAbsDiffVsNumpy?.toExponential(2) ?? 'n/a'}`,
    );
  }
  if (r.note) rows.push('', `note: ${r.note}`);
  return `${rows.join('\n')}\n`;
}

export async function writePreprocessBenchJson(result: PreprocessBenchResult): Promise<string> {
  // dist/bench/preprocess.js or src/bench/preprocess.ts → <package>/bench-results
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `preprocess-${result.date.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(join(dir, 'preprocess-latest.json'), text);
  return file;
}

/** Runs the benchmark, prints the table on stdout and progress on stderr, writes JSON; returns an exit status. */
export async function runPreprocessBenchCli(): Promise<number> {
  const result = await runPreprocessBench({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(formatPreprocessBench(result));
  const file = await writePreprocessBenchJson(result);
  process.stdout.write(`wrote ${file}\n`);
  if (!result.python) throw new AppError('INTERNAL', result.note ?? 'the Python reference did not run');
  return 0;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
