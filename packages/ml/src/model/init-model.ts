import * as tf from '@tensorflow/tfjs';
import { LABELS, type LabelProbabilities } from '../labels.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { cardChannels, type ModelCard } from './card.js';
import { buildClassifier } from './classifier.js';
import { DEFAULT_MODEL_CONFIG, INCEPTION_V3_BASE_PARAMETERS } from './config.js';
import { writeModelDir } from './model-dir.js';
import { applySeededWeights } from './seeded-weights.js';

export interface InitModelOptions {
  readonly out: string;
  readonly inputSize?: number;
  readonly seed?: number;
  readonly contextSlices?: 1 | 3;
  readonly denseUnits?: number;
  /** Skip the ONNX export (tests that only need tfjs). Default: export. */
  readonly onnx?: boolean;
}

export const UNTRAINED_VERSION = '0.0.0-untrained';

/**
 * Writes a complete model directory with seeded random weights, so everything downstream (engines, worker, API)
 * runs before trained weights exist. The card says "untrained" in its status, name, description and limitations.
 */
export async function initModel(options: InitModelOptions): Promise<ModelCard> {
  const contextSlices = options.contextSlices ?? 1;
  const seed = options.seed ?? 1;
  const config = {
    ...DEFAULT_MODEL_CONFIG,
    inputSize: options.inputSize ?? DEFAULT_MODEL_CONFIG.inputSize,
    channels: cardChannels({ windows: DEFAULT_WINDOWS, contextSlices }),
    denseUnits: options.denseUnits ?? DEFAULT_MODEL_CONFIG.denseUnits,
  };
  // Building and initialising needs no speed; the always-present CPU backend avoids loading wasm for it.
  tf.enableProdMode();
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const model = buildClassifier(config);
  try {
    applySeededWeights(model, seed);
    const thresholds = Object.fromEntries(LABELS.map((l) => [l, 0.5])) as LabelProbabilities;
    return await writeModelDir(
      options.out,
      model,
      {
        format: 'ich-model-card/1',
        name: 'ich-inception-v3-untrained',
        version: `${UNTRAINED_VERSION}+seed${seed}`,
        status: 'untrained',
        createdAt: new Date().toISOString(),
        architecture: {
          base: 'InceptionV3',
          denseUnits: config.denseUnits,
          dropout: config.dropout,
          baseParameters:
            config.channels === 3 ? INCEPTION_V3_BASE_PARAMETERS : model.countParams() - headParameters(model),
          totalParameters: model.countParams(),
        },
        inputSize: config.inputSize,
        windows: DEFAULT_WINDOWS,
        contextSlices,
        labels: LABELS,
        thresholds,
        aggregation: 'max',
        trainingData: `none: UNTRAINED seeded random weights (seed ${seed}); outputs carry no clinical meaning`,
        metrics: null,
        intendedUse: 'Development and integration testing of the triage pipeline only. Not for any clinical use.',
        limitations: [
          'UNTRAINED: weights are random; probabilities are meaningless',
          'Not a medical device; never use for diagnosis or triage of patients',
        ],
      },
      { onnx: options.onnx ?? true },
    );
  } finally {
    model.dispose();
  }
}

function headParameters(model: tf.LayersModel): number {
  return model.layers.filter((l) => l.getClassName() === 'Dense').reduce((n, l) => n + l.countParams(), 0);
}
