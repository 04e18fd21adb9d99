/** `npx tsx bench/preprocess-main.ts`: the preprocessing benchmark alone (also run by `npm run bench`). */
import { formatCliError, toAppError } from '@ich/errors';
import { runPreprocessBenchCli } from './preprocess.js';

try {
  process.exitCode = await runPreprocessBenchCli();
} catch (error) {
  process.stderr.write(`${formatCliError(toAppError(error))}\n`);
  process.exitCode = 1;
}
