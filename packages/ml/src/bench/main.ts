/**
 * `npm run bench` in @ich/ml: every benchmark of the package, one after another (CPU timings must not overlap).
 * Flags are passed to the model benchmark (see `ich-ml bench --help`); each benchmark prints its own table
 * against its named reference and writes JSON under bench-results/.
 */
import { formatCliError, toAppError } from '@ich/errors';
import { runModelBenchCli } from './model-cli.js';

const argv = process.argv.slice(2);
let status = 0;
try {
  status = await runModelBenchCli(argv);
} catch (error) {
  process.stderr.write(`${formatCliError(toAppError(error))}\n`);
  status = 1;
}
process.exitCode = status;
