import { access } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import * as tf from '@tensorflow/tfjs';
import { LABELS, type LabelProbabilities } from '../labels.js';
import { cardChannels, type ModelCard } from '../model/card.js';
import { buildClassifier } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG, INCEPTION_V3_BASE_PARAMETERS } from '../model/config.js';
import { writeModelDir } from '../model/model-dir.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';

/** One weight array read from a Keras file: `<layer>/<param>` and its data in Keras' own layout (HWIO, etc.). */
export interface KerasWeight {
  readonly layer: string;
  readonly param: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * Reads the weights of a Keras HDF5 file (`model.save(...h5)` with a `model_weights` group, or `save_weights`),
 * following the `layer_names` and `weight_names` attributes in order, so nested models (an InceptionV3 base inside
 * the seed's model) are read too. Uses h5wasm (HDF5 compiled to WebAssembly): no native HDF5 needed.
 */
export async function readKerasWeights(path: string): Promise<KerasWeight[]> {
  try {
    await access(path);
  } catch {
    throw new AppError('BAD_USER_INPUT', `cannot read ${path}`);
  }
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (cause) {
    throw new AppError('BAD_USER_INPUT', `${path} is not an HDF5 file`, undefined, { cause });
  }
  try {
    const root = file.keys().includes('model_weights')
      ? (file.get('model_weights') as InstanceType<typeof h5wasm.Group>)
      : file;
    const names = strings(root.attrs.layer_names?.value);
    if (names.length === 0)
      throw new AppError('BAD_USER_INPUT', `${path}: no "layer_names" attribute: not a Keras weights file`);
    const out: KerasWeight[] = [];
    for (const layerName of names) {
      const group = root.get(layerName) as InstanceType<typeof h5wasm.Group> | null;
      if (!group) throw new AppError('BAD_USER_INPUT', `${path}: layer "${layerName}" is listed but missing`);
      for (const weightName of strings(group.attrs.weight_names?.value)) {
        const dataset = group.get(weightName) as InstanceType<typeof h5wasm.Dataset> | null;
        if (!dataset) throw new AppError('BAD_USER_INPUT', `${path}: weight "${layerName}/${weightName}" is missing`);
        // "conv2d/kernel:0" or "inception_v3/conv2d/kernel:0": the last two parts name the layer and the parameter.
        const parts = weightName.replace(/:\d+$/, '').split('/');
        const value = dataset.value;
        const values =
          value instanceof Float32Array
            ? value
            : value instanceof Float64Array || value instanceof Uint16Array
              ? Float32Array.from(value as ArrayLike<number>)
              : null;
        if (!values) throw new AppError('BAD_USER_INPUT', `${path}: weight "${weightName}" is not a float array`);
        out.push({
          layer: parts[parts.length - 2] ?? layerName,
          param: parts[parts.length - 1]!,
          shape: dataset.shape ?? [],
          values,
        });
      }
    }
    return out;
  } finally {
    file.close();
  }
}

function strings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  // h5py writes an empty list (a layer without weights) as an empty float array.
  if (ArrayBuffer.isView(value) && !(value instanceof Uint8Array)) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? v : new TextDecoder().decode(v as Uint8Array)));
}

export interface ImportKerasOptions {
  readonly out: string;
  /** Input side the Keras model was trained at (weights do not fix it). */
  readonly inputSize?: number;
  readonly contextSlices?: 1 | 3;
  readonly name?: string;
  readonly version?: string;
  /** Store the tfjs weights as float16 (for models kept in the repository). */
  readonly float16?: boolean;
  /** Card fields that the importer cannot know (what the weights were trained on, thresholds, metrics, recipe). */
  readonly card?: Partial<
    Pick<ModelCard, 'thresholds' | 'trainingData' | 'metrics' | 'recipe' | 'limitations' | 'intendedUse'>
  >;
}

/**
 * Keras InceptionV3 + the seed's head → a model directory. Base layers map by name (the transcription keeps Keras'
 * names); the head's two Dense layers map in file order to head_dense and predictions, whatever Keras called them.
 * A weight of another shape is refused, naming the layer; so is a BatchNormalization with a trained gamma (the
 * seed's InceptionV3 has none) or a base layer the file lacks.
 */
export async function importKeras(h5: string, options: ImportKerasOptions): Promise<ModelCard> {
  const weights = await readKerasWeights(h5);
  const contextSlices = options.contextSlices ?? 1;
  const dense = weights.filter((w) => w.param === 'kernel' && w.shape.length === 2);
  const denseUnits = dense[0]?.shape[1];
  if (dense.length !== 2 || !denseUnits)
    throw new AppError(
      'BAD_USER_INPUT',
      `${h5}: expected two Dense layers (head and predictions), found ${dense.length}`,
    );
  const config = {
    ...DEFAULT_MODEL_CONFIG,
    inputSize: options.inputSize ?? DEFAULT_MODEL_CONFIG.inputSize,
    channels: cardChannels({ windows: DEFAULT_WINDOWS, contextSlices }),
    denseUnits,
  };
  const gamma = weights.find((w) => w.param === 'gamma');
  if (gamma)
    throw new AppError(
      'BAD_USER_INPUT',
      `${h5}: layer "${gamma.layer}" has a BatchNormalization gamma (scale=True); the seed's InceptionV3 uses scale=False`,
    );

  tf.enableProdMode();
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const model = buildClassifier(config);
  try {
    const byKey = new Map(weights.map((w) => [`${w.layer}/${w.param}`, w]));
    const headLayers = new Map([
      ['head_dense', dense[0]!.layer],
      ['predictions', dense[1]!.layer],
    ]);
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const source = headLayers.get(layer.name) ?? layer.name;
      const values = layer.weights.map((w) => {
        const param = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
        const found = byKey.get(`${source}/${param}`);
        if (!found)
          throw new AppError('BAD_USER_INPUT', `${h5}: no weight "${source}/${param}" for layer "${layer.name}"`);
        if (found.shape.join('x') !== w.shape.join('x'))
          throw new AppError(
            'BAD_USER_INPUT',
            `${h5}: layer "${source}" weight "${param}" has shape [${found.shape.join(', ')}], the model needs [${w.shape.join(', ')}]`,
            { layer: source },
          );
        return tf.tensor(found.values, w.shape as number[], 'float32');
      });
      layer.setWeights(values);
      tf.dispose(values);
    }
    const thresholds = Object.fromEntries(LABELS.map((l) => [l, 0.5])) as LabelProbabilities;
    return await writeModelDir(
      options.out,
      model,
      {
        format: 'ich-model-card/1',
        name: options.name ?? 'ich-inception-v3-keras',
        version: options.version ?? '1.0.0-keras',
        status: 'trained',
        createdAt: new Date().toISOString(),
        architecture: {
          base: 'InceptionV3',
          denseUnits: config.denseUnits,
          dropout: config.dropout,
          baseParameters: config.channels === 3 ? INCEPTION_V3_BASE_PARAMETERS : model.countParams(),
          totalParameters: model.countParams(),
        },
        inputSize: config.inputSize,
        windows: DEFAULT_WINDOWS,
        contextSlices,
        labels: LABELS,
        thresholds,
        aggregation: 'max',
        trainingData: `imported from the Keras file ${h5}; what it was trained on is not recorded in the file`,
        metrics: null,
        intendedUse: 'Research and development of the triage pipeline. Not for clinical use.',
        limitations: [
          'Imported weights: training data, preprocessing and thresholds (0.5 here) are as good as their source',
          'Not a medical device; never use for diagnosis or triage of patients',
        ],
        ...options.card,
      },
      { weights: options.float16 ? 'float16' : 'float32' },
    );
  } finally {
    model.dispose();
  }
}
