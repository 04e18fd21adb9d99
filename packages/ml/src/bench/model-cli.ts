import { parseArgs } from 'node:util';
import { AppError } from '@ich/errors';
import { enumListFlag, intFlag, intListFlag } from '../cli/flags.js';
import { ENGINE_KINDS } from '../engines/engine.js';
import { formatModelBenchTable, type ModelBenchOptions, QUICK, runModelBench, writeModelBenchJson } from './model.js';

export const MODEL_BENCH_USAGE =
  'ich-ml bench [--train [--batch N] [--steps N]] [--json] [--quick] [--size N] [--batches 1,16] [--runs N] [--max-seconds S] [--engines onnx,tfjs-wasm,...] [--threads N] [--model <dir>] [--no-reference] [--no-e2e] [--out <results dir>]';

const MODEL_BENCH_OPTIONS = {
  json: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  size: { type: 'string' },
  batches: { type: 'string' },
  runs: { type: 'string' },
  'max-seconds': { type: 'string' },
  engines: { type: 'string' },
  threads: { type: 'string' },
  model: { type: 'string' },
  'no-reference': { type: 'boolean', default: false },
  'no-e2e': { type: 'boolean', default: false },
  out: { type: 'string' },
  train: { type: 'boolean', default: false },
  batch: { type: 'string' },
  steps: { type: 'string' },
} as const;

/** Parses bench flags, runs the model benchmark, prints the table (or JSON with --json), writes the JSON file. */
export async function runModelBenchCli(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: typeof MODEL_BENCH_OPTIONS }>>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: MODEL_BENCH_OPTIONS,
    });
  } catch (cause) {
    throw new AppError('BAD_USER_INPUT', `${(cause as Error).message} (usage: ${MODEL_BENCH_USAGE})`);
  }
  const v = parsed.values;
  if (v.train) {
    const { formatTrainBench, parseTrainBenchArgs, runTrainBench, writeTrainBenchJson } = await import(
      './train-bench.js'
    );
    const result = await runTrainBench(parseTrainBenchArgs(v));
    const file = await writeTrainBenchJson(result);
    process.stdout.write(v.json ? `${JSON.stringify(result)}\n` : formatTrainBench(result));
    process.stderr.write(`results written to ${file}\n`);
    return 0;
  }
  const batches = intListFlag(v, 'batches', { min: 1, max: 256 });
  const engines = enumListFlag(v, 'engines', ENGINE_KINDS);
  const size = intFlag(v, 'size', { min: 75, max: 512 });
  const runs = intFlag(v, 'runs', { min: 1, max: 100 });
  const maxSeconds = intFlag(v, 'max-seconds', { min: 1, max: 3600 });
  const threads = intFlag(v, 'threads', { min: 1, max: 256 });
  const options: ModelBenchOptions = {
    ...(v.quick ? QUICK : {}),
    ...(size ? { size } : {}),
    ...(batches ? { batches } : {}),
    ...(runs ? { runs } : {}),
    ...(maxSeconds ? { maxSeconds } : {}),
    ...(engines ? { engines } : {}),
    ...(threads ? { threads } : {}),
    ...(v.model ? { modelDir: v.model } : {}),
    reference: !v['no-reference'],
    endToEnd: !v['no-e2e'],
    onProgress: (line) => process.stderr.write(`${line}\n`),
  };
  const result = await runModelBench(options);
  const file = await writeModelBenchJson(result, ...(v.out ? [v.out] : []));
  if (v.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(formatModelBenchTable(result));
  process.stderr.write(`results written to ${file}\n`);
  return 0;
}
