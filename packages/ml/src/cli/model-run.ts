import { ENGINE_CHOICES, type EngineChoice } from '../engines/engine.js';
import { engineChoiceFrom } from '../engines/select-engine.js';
import { ensureModelDir } from '../model/ensure-model.js';
import { resolveModelDir } from '../model/resolve-model-dir.js';
import { intFlag } from './flags.js';

/** The flags of every command that runs the model on DICOM files (predict, evaluate, submission). */
export const MODEL_RUN_OPTIONS = {
  model: { type: 'string' },
  engine: { type: 'string' },
  batch: { type: 'string' },
} as const;

export const MODEL_RUN_USAGE = `[--model <dir>] [--engine ${ENGINE_CHOICES.join('|')}] [--batch N]`;

export interface ModelRunFlags {
  readonly engine: EngineChoice;
  /** Slices per inference call. */
  readonly batchSize: number;
}

/** --engine (else ICH_ENGINE, else auto) and --batch (1 to 256, default 16), checked before any work starts. */
export function modelRunFlags(values: {
  readonly engine?: string | undefined;
  readonly batch?: string | undefined;
}): ModelRunFlags {
  return {
    engine: engineChoiceFrom(values.engine),
    batchSize: intFlag(values, 'batch', { min: 1, max: 256, default: 16 }),
  };
}

/**
 * The model a command runs: --model as given (never written to), else the default model directory, which, like at
 * the product's start-up, first receives the shipped demo model when it holds none.
 */
export async function modelDirFromArgument(explicit: string | undefined): Promise<string> {
  if (explicit) return resolveModelDir(explicit);
  const { dir } = await ensureModelDir(undefined, { onProgress: (line) => process.stderr.write(`${line}\n`) });
  return dir;
}
