import { ensureModelDir } from '../model/ensure-model.js';
import { resolveModelDir } from '../model/resolve-model-dir.js';

/**
 * The model a command runs: --model as given (never written to), else the default model directory, which, like at
 * the product's start-up, first receives the shipped demo model when it holds none.
 */
export async function modelDirFromArgument(explicit: string | undefined): Promise<string> {
  if (explicit) return resolveModelDir(explicit);
  const { dir } = await ensureModelDir(undefined, { onProgress: (line) => process.stderr.write(`${line}\n`) });
  return dir;
}
