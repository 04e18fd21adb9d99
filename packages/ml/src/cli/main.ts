import { AppError, exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import type { Command } from './command.js';

/**
 * `ich-ml <command>`. Commands load lazily so that `ich-ml preprocess` never pays for loading TensorFlow or
 * onnxruntime. Add a command by adding one line here and one file under commands/.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  preprocess: async () => (await import('./commands/preprocess.js')).default,
  synth: async () => (await import('./commands/synth.js')).default,
  predict: async () => (await import('./commands/predict.js')).default,
  'export-onnx': async () => (await import('./commands/export-onnx.js')).default,
  quantize: async () => (await import('./commands/quantize.js')).default,
  bench: async () => (await import('./commands/bench.js')).default,
  'init-model': async () => (await import('./commands/init-model.js')).default,
  send: async () => (await import('./commands/send.js')).default,
  evaluate: async () => (await import('./commands/evaluate.js')).default,
  train: async () => (await import('./commands/train.js')).default,
  submission: async () => (await import('./commands/submission.js')).default,
  'import-keras': async () => (await import('./commands/import-keras.js')).default,
};

function help(): string {
  const names = Object.keys(COMMANDS).sort();
  return [
    'usage: ich-ml <command> [options]',
    '',
    'commands:',
    ...names.map((n) => `  ${n}`),
    '',
    'ich-ml <command> --help for details',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(
      `${formatCliError(new AppError('BAD_USER_INPUT', `unknown command "${name}"; run ich-ml --help`))}\n`,
    );
    return 2;
  }
  try {
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (thrown) {
    const error = toAppError(thrown);
    process.stderr.write(`${formatCliError(error)}\n`);
    if (error.code === 'INTERNAL' && process.env.ICH_DEBUG)
      process.stderr.write(`${String((thrown as Error)?.stack ?? thrown)}\n`);
    return exitStatusFor(error.code);
  }
}

process.exitCode = await main(process.argv.slice(2));
