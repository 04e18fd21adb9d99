import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from './card.js';
import { initModel } from './init-model.js';
import { CARD_FILE, readModelCard } from './model-dir.js';
import { resolveModelDir } from './resolve-model-dir.js';

/**
 * For start-up scripts (the API's `npm start`): returns the card of the model at `dir` (or the resolved default),
 * first writing an UNTRAINED seeded model there when the directory has none. Never overwrites an existing model.
 */
export async function ensureModelDir(
  dir?: string,
  options: { inputSize?: number; seed?: number; onProgress?: (line: string) => void } = {},
): Promise<{ dir: string; card: ModelCard; created: boolean }> {
  const target = resolveModelDir(dir);
  if (existsSync(join(target, CARD_FILE))) return { dir: target, card: await readModelCard(target), created: false };
  options.onProgress?.(`no model in ${target}; writing an UNTRAINED seeded model (tfjs + ONNX)`);
  const card = await initModel({
    out: target,
    ...(options.inputSize ? { inputSize: options.inputSize } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  return { dir: target, card, created: true };
}
