import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import type * as tf from '@tensorflow/tfjs';
import { exportLayersModelToOnnx } from '../onnx/export-layers-model.js';
import { type ModelCard, parseModelCard } from './card.js';
import { loadLayersModelFromDir, readLayersArtifacts, saveLayersModel, TFJS_MODEL_FILE } from './tfjs-files.js';

/**
 * A model directory: model.json + weight shards (tfjs layers), card.json (the model card) and model.onnx (the same
 * network for onnxruntime). Weights are generated or trained, never committed.
 */
export const CARD_FILE = 'card.json';
export const ONNX_FILE = 'model.onnx';
/** The INT8 QDQ export (`ich-ml quantize`), generated like model.onnx, never committed. */
export const ONNX_INT8_FILE = 'model.int8.onnx';

export async function readModelCard(dir: string): Promise<ModelCard> {
  const file = join(dir, CARD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AppError(
      missing ? 'MODEL_NOT_FOUND' : 'BAD_MODEL',
      missing ? `no model at ${dir} (${CARD_FILE} not found)` : `${file}: ${(cause as Error).message}`,
      { dir },
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AppError('BAD_MODEL', `${file}: not valid JSON`, { file }, { cause });
  }
  return parseModelCard(json, file);
}

/** Writes the tfjs files and the ONNX export next to them, then the card (last, so a card means a complete dir). */
export async function writeModelDir(
  dir: string,
  model: tf.LayersModel,
  card: Omit<ModelCard, 'weightsHash' | 'files'>,
  options: { onnx?: boolean; weights?: 'float32' | 'float16' } = {},
): Promise<ModelCard> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, CARD_FILE), { force: true });
  const weightsHash = await saveLayersModel(model, dir, { weights: options.weights ?? 'float32' });
  const withOnnx = options.onnx ?? true;
  if (withOnnx) await writeOnnx(dir, model, card.name, card.version);
  else await rm(join(dir, ONNX_FILE), { force: true });
  // New weights: an INT8 export of the old ones must not survive next to them.
  await rm(join(dir, ONNX_INT8_FILE), { force: true });
  const { int8: _stale, ...rest } = card as Omit<ModelCard, 'weightsHash' | 'files'>;
  const full: ModelCard = { ...rest, weightsHash, files: { tfjs: TFJS_MODEL_FILE, onnx: withOnnx ? ONNX_FILE : null } };
  await writeAtomic(join(dir, CARD_FILE), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** (Re)exports model.onnx from the directory's tfjs model and records it in the card. */
export async function exportOnnxInDir(dir: string): Promise<{ card: ModelCard; file: string; bytes: number }> {
  const card = await readModelCard(dir);
  const model = await loadLayersModelFromDir(dir);
  try {
    const bytes = await writeOnnx(dir, model, card.name, card.version);
    const next: ModelCard = { ...card, files: { ...card.files, onnx: ONNX_FILE } };
    await writeAtomic(join(dir, CARD_FILE), `${JSON.stringify(next, null, 2)}\n`);
    return { card: next, file: join(dir, ONNX_FILE), bytes };
  } finally {
    model.dispose();
  }
}

/** Loads the tfjs model after checking its weights against the card's hash (a swapped shard is a bad model). */
export async function loadTfjsModelChecked(dir: string, card: ModelCard): Promise<tf.LayersModel> {
  const tfjs = await import('@tensorflow/tfjs');
  const { artifacts, weightsHash } = await readLayersArtifacts(dir);
  if (weightsHash !== card.weightsHash)
    throw new AppError('BAD_MODEL', `${dir}: weights do not match the model card's weightsHash`, { dir });
  return tfjs.loadLayersModel(tfjs.io.fromMemory(artifacts));
}

async function writeOnnx(dir: string, model: tf.LayersModel, name: string, version: string): Promise<number> {
  const bytes = exportLayersModelToOnnx(model, { docString: `${name} ${version}`, metadata: { name, version } });
  await writeAtomic(join(dir, ONNX_FILE), bytes);
  return bytes.byteLength;
}

export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
