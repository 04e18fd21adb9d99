import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import * as tf from '@tensorflow/tfjs';

/**
 * The tfjs "layers-model" file layout (model.json + group1-shardXofN.bin, 4 MiB shards) read and written with
 * node:fs. @tensorflow/tfjs has no file:// handler without tfjs-node, and tfjs-node is optional, so this keeps
 * model directories usable by every engine and by the browser's tf.loadLayersModel(http) alike.
 */
const SHARD_BYTES = 4 * 1024 * 1024;
export const TFJS_MODEL_FILE = 'model.json';

interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Writes the model's files into `dir` and returns the weights hash (sha256 over the shards in order). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || !artifacts.weightData)
    throw new AppError('INTERNAL', 'tfjs produced no weights to save');
  const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const count = Math.max(1, Math.ceil(bytes.byteLength / SHARD_BYTES));
  const paths: string[] = [];
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) {
    const name = `group1-shard${i + 1}of${count}.bin`;
    const shard = bytes.subarray(i * SHARD_BYTES, Math.min(bytes.byteLength, (i + 1) * SHARD_BYTES));
    hash.update(shard);
    await writeFile(join(dir, name), shard);
    paths.push(name);
  }
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  await writeFile(join(dir, TFJS_MODEL_FILE), JSON.stringify(json));
  return `sha256:${hash.digest('hex')}`;
}

/** Reads model.json and its shards; the hash lets callers check the card's weightsHash. */
export async function readLayersArtifacts(
  dir: string,
): Promise<{ artifacts: tf.io.ModelArtifacts; weightsHash: string }> {
  const file = join(dir, TFJS_MODEL_FILE);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
  } catch (cause) {
    throw new AppError(
      'BAD_MODEL',
      `${file}: cannot read a tfjs model (${(cause as Error).message})`,
      { file },
      { cause },
    );
  }
  if (!Array.isArray(json.weightsManifest) || !json.modelTopology)
    throw new AppError('BAD_MODEL', `${file}: not a tfjs layers model`, { file });
  const hash = createHash('sha256');
  const shards: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const shard = await readFile(join(dir, p)).catch((cause: unknown) => {
        throw new AppError('BAD_MODEL', `${join(dir, p)}: weight shard missing`, { file: p }, { cause });
      });
      hash.update(shard);
      shards.push(shard);
    }
    weightSpecs.push(...group.weights);
  }
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  return {
    artifacts: { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer },
    weightsHash: `sha256:${hash.digest('hex')}`,
  };
}

export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const { artifacts } = await readLayersArtifacts(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
