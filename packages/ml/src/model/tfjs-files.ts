import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * Writes the model's files into `dir` and returns the weights hash (sha256 over the shards in order). With
 * `weights: 'float16'` every float32 weight is stored as IEEE half precision (tfjs' own `quantization: float16`
 * manifest entry, decoded back to float32 on load): half the bytes, for models that ship in the repository.
 */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  options: { weights?: 'float32' | 'float16' } = {},
): Promise<string> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || !artifacts.weightData)
    throw new AppError('INTERNAL', 'tfjs produced no weights to save');
  let bytes: Uint8Array = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  let specs = artifacts.weightSpecs;
  if (options.weights === 'float16') ({ bytes, specs } = toFloat16(bytes, specs));
  // Shards of an earlier save (another count, or float32 before float16) would linger beside the new ones.
  for (const old of await readdir(dir).catch(() => [] as string[]))
    if (/^group1-shard\d+of\d+\.bin$/.test(old)) await rm(join(dir, old), { force: true });
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
    weightsManifest: [{ paths, weights: specs }],
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

/** Re-encodes float32 weights as float16 (round to nearest even), marking each spec with tfjs' quantization entry. */
function toFloat16(
  bytes: Uint8Array,
  specs: tf.io.WeightsManifestEntry[],
): { bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[] } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32' || spec.quantization) {
      const size = n * (spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : 1);
      parts.push(bytes.slice(offset, offset + size));
      offset += size;
      out.push(spec);
      continue;
    }
    const values = new Float32Array(bytes.slice(offset, offset + n * 4).buffer);
    offset += n * 4;
    const half = new Uint16Array(n);
    for (let i = 0; i < n; i++) half[i] = float32ToFloat16(values[i]!);
    parts.push(new Uint8Array(half.buffer));
    out.push({ ...spec, quantization: { dtype: 'float16' } });
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.byteLength;
  }
  return { bytes: joined, specs: out };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest even; overflow → ±Inf, NaN kept. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}
