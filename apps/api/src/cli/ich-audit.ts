import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError, exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import { readCheckpointKey } from '../audit/checkpoint.js';
import { verifyCsvExport } from '../audit/offline-verify.js';

const USAGE = 'usage: ich-audit verify <export.csv> --key <AUDIT_KEY_FILE>';

/**
 * `ich-audit verify <export.csv> --key <file>`: checks an audit export offline, trusting only the checkpoint key.
 * Exit 0 and one summary line when it holds; AUDIT_CHAIN_BROKEN (exit 10) naming the first problem when not.
 */
function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { key: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [command, file, ...rest] = positionals;
  if (command !== 'verify' || !file || rest.length > 0 || !values.key) throw new AppError('BAD_USER_INPUT', USAGE);
  let key: Buffer;
  let text: string;
  try {
    key = readCheckpointKey(values.key);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('BAD_USER_INPUT', (error as Error).message);
  }
  const result = verifyCsvExport(text, key);
  if (!result.ok) throw new AppError('AUDIT_CHAIN_BROKEN', `${file}: ${result.reason}`);
  const cp = result.checkpoint;
  console.log(
    `ok: ${result.events} events, hash chain intact, checkpoint seq ${cp?.seq} (${cp?.at}, ${cp?.count} events) signed with key ${cp?.keyId}`,
  );
}

try {
  main(process.argv.slice(2));
} catch (thrown) {
  const error = toAppError(thrown);
  console.error(formatCliError(error));
  process.exit(exitStatusFor(error.code));
}
