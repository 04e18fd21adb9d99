import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelCard } from './card.js';
import { initModel } from './init-model.js';
import { CARD_FILE, exportOnnxInDir, readModelCard } from './model-dir.js';
import { resolveModelDir, shippedModelDir } from './resolve-model-dir.js';

export interface EnsureModelOptions {
  readonly inputSize?: number;
  readonly seed?: number;
  /** The model installed into an empty directory (default: the shipped demo model, packages/ml/models/demo). */
  readonly shipped?: string | null;
  readonly onProgress?: (line: string) => void;
}

/**
 * For start-up (the API and worker of `npm start`, and `ich-ml` commands without --model): returns the card of the
 * model at `dir` (or the resolved default). A directory without a model first gets the shipped demo model (its
 * float16 tfjs files and card copied, then the ONNX export generated, which the repository does not hold); only when
 * no shipped model is present is an UNTRAINED seeded model written instead. Never overwrites an existing model.
 */
export async function ensureModelDir(
  dir?: string,
  options: EnsureModelOptions = {},
): Promise<{ dir: string; card: ModelCard; created: boolean; source: 'existing' | 'shipped' | 'untrained' }> {
  const target = resolveModelDir(dir);
  if (existsSync(join(target, CARD_FILE)))
    return { dir: target, card: await readModelCard(target), created: false, source: 'existing' };
  const shipped = options.shipped === undefined ? shippedModelDir() : options.shipped;
  if (shipped && existsSync(join(shipped, CARD_FILE))) {
    const card = await readModelCard(shipped);
    options.onProgress?.(
      `no model in ${target}; installing the shipped ${card.name}@${card.version} (${card.status}) and exporting ONNX`,
    );
    await mkdir(target, { recursive: true });
    // The card last: a card means a complete directory (as writeModelDir).
    const files = (await readdir(shipped)).filter((f) => f !== CARD_FILE && f !== 'README.md');
    for (const f of files) await copyFile(join(shipped, f), join(target, f));
    await rm(join(target, 'model.onnx'), { force: true });
    await copyFile(join(shipped, CARD_FILE), join(target, CARD_FILE));
    const exported = await exportOnnxInDir(target);
    return { dir: target, card: exported.card, created: true, source: 'shipped' };
  }
  options.onProgress?.(`no model in ${target}; writing an UNTRAINED seeded model (tfjs + ONNX)`);
  const card = await initModel({
    out: target,
    ...(options.inputSize ? { inputSize: options.inputSize } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  return { dir: target, card, created: true, source: 'untrained' };
}
