/**
 * `npm run bench` in @ich/ml: every benchmark of the package, one after another (CPU timings must not overlap):
 * preprocessing (vs pydicom + numpy + OpenCV) and model inference (vs PyTorch). Each prints its own table against its
 * named reference and writes JSON under bench-results/. Flags go to the model benchmark (`ich-ml bench --help`);
 * `--only model`, `--only preprocess` or `--only int8` runs one of them (int8: FP32 vs INT8 onnxruntime, with its own
 * flags --sizes 299,N --model <dir> --batch N --rounds N --threads N --profile --json).
 */
import { formatCliError, toAppError } from '@ich/errors';
import { runModelBenchCli } from '../src/bench/model-cli.js';
import { runInt8BenchCli } from './int8.js';
import { runPreprocessBenchCli } from './preprocess.js';

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
const modelArgs = onlyAt >= 0 ? [...argv.slice(0, onlyAt), ...argv.slice(onlyAt + 2)] : argv;

const benches: { name: string; run: () => Promise<number> }[] = [
  { name: 'preprocess', run: () => runPreprocessBenchCli() },
  { name: 'model', run: () => runModelBenchCli(modelArgs) },
  // Its own flags (--sizes, --profile) apply with `--only int8`; in the full run it takes its defaults.
  { name: 'int8', run: () => runInt8BenchCli(only === 'int8' ? modelArgs : []) },
];

let status = 0;
if (only !== undefined && !benches.some((b) => b.name === only)) {
  process.stderr.write(`error: BAD_USER_INPUT: --only must be one of ${benches.map((b) => b.name).join(', ')}\n`);
  status = 2;
} else {
  for (const bench of benches) {
    if (only && bench.name !== only) continue;
    process.stderr.write(`\n== ${bench.name} benchmark ==\n`);
    try {
      status = Math.max(status, await bench.run());
    } catch (error) {
      // One benchmark failing (e.g. its reference is not installed) must not hide the others' figures.
      process.stderr.write(`${formatCliError(toAppError(error))}\n`);
      status = 1;
    }
  }
}
process.exitCode = status;
