import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import * as tf from '@tensorflow/tfjs';
import { BatchGenerator, planEpoch } from '../dataset/generator.js';
import { LABEL_WEIGHTS, rocAuc, type Scored, thresholdForSensitivity, weightedLogLoss } from '../evaluate/metrics.js';
import { LABELS, type LabelProbabilities } from '../labels.js';
import type { ModelCard } from '../model/card.js';
import { buildClassifier, HEAD_LAYER_NAMES } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG, INCEPTION_V3_BASE_PARAMETERS, type ModelConfig } from '../model/config.js';
import { writeModelDir } from '../model/model-dir.js';
import { applySeededWeights } from '../model/seeded-weights.js';
import { hashString } from '../synth/random.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { selectTrainingBackend } from './backend.js';
import { type LoopState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type EpochRecord, endEpoch, scoreSet } from './epoch-end.js';
import { buildIndexForTraining } from './prepare-data.js';

export interface TrainOptions {
  readonly dataDir: string;
  readonly labels: string;
  readonly out: string;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly size?: number;
  readonly lr?: number;
  readonly valFraction?: number;
  readonly resume?: boolean;
  readonly context?: 1 | 3;
  readonly seed?: string;
  /** Preprocessing worker threads (default 1; 0 preprocesses on the training thread). */
  readonly workers?: number;
  /** Copies of each 'any'-positive training slice per epoch (default 2). */
  readonly oversample?: number;
  readonly augment?: boolean;
  /** Epochs without a better validation loss before stopping (default 3). */
  readonly patience?: number;
  /** Stop after this many epochs in this call (the rest stays resumable); tests use it to interrupt a run. */
  readonly stopAfterEpochs?: number;
  readonly denseUnits?: number;
  readonly dropout?: number;
  readonly backend?: string;
  readonly indexFile?: string;
  /** Store the model directory's tfjs weights as float16 (half the size; for models kept in the repository). */
  readonly float16?: boolean;
  /** Write the model directory (tfjs, ONNX, card) at the end (default true). */
  readonly writeModel?: boolean;
  readonly onIndexProgress?: (done: number, total: number) => void;
  readonly onStep?: (info: StepInfo) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
}

export interface StepInfo {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export type { EpochRecord } from './epoch-end.js';

export interface TrainResult {
  readonly backend: string;
  readonly history: readonly EpochRecord[];
  readonly state: LoopState;
  readonly stoppedEarly: boolean;
  readonly card: ModelCard | null;
  /** Every model weight at the end, in model.weights order (for the resume test). */
  readonly finalWeights: Float32Array[];
  readonly train: number;
  readonly val: number;
}

const CLIP = 1e-7;

/** The competition's objective as a Keras loss: per image the 2:1:1:1:1:1 weighted mean of the six binary log losses. */
export function weightedBinaryCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const w = tf.tensor1d(LABELS.map((l) => LABEL_WEIGHTS[l]));
    const p = tf.clipByValue(yPred, CLIP, 1 - CLIP);
    const bce = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
    return tf.mean(tf.div(tf.sum(tf.mul(bce, w), -1), tf.sum(w))) as tf.Scalar;
  });
}

/** Cosine decay from lr to 5% of it over the planned epochs (constant within an epoch, so resume is exact). */
export function learningRateAt(epoch: number, epochs: number, lr: number): number {
  const t = epochs <= 1 ? 0 : epoch / (epochs - 1);
  return lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * t)));
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 16;
  const size = options.size ?? 128;
  const lr = options.lr ?? 1e-3;
  const seed = options.seed ?? 'ich-train';
  const context = options.context ?? 1;
  const patience = options.patience ?? 3;
  const trainingDir = join(options.out, 'training');
  await mkdir(trainingDir, { recursive: true });
  const logFile = join(trainingDir, 'log.jsonl');
  const checkpointDir = join(trainingDir, 'checkpoint');
  const bestDir = join(trainingDir, 'best');

  const data = await buildIndexForTraining(options);
  const { train: trainSet, val: valSet } = data;
  if (trainSet.length === 0) throw new AppError('BAD_USER_INPUT', 'no labelled training images found');

  const backend = await selectTrainingBackend(options.backend);
  const config: ModelConfig = {
    ...DEFAULT_MODEL_CONFIG,
    inputSize: size,
    channels: 3,
    denseUnits: options.denseUnits ?? DEFAULT_MODEL_CONFIG.denseUnits,
    dropout: options.dropout ?? DEFAULT_MODEL_CONFIG.dropout,
  };
  const model = buildClassifier(config, { bnGamma: 'constant' });
  applySeededWeights(model, hashString(`${seed}:weights`), { batchNorm: 'identity' });
  const optimizer = tf.train.adam(lr);
  model.compile({ optimizer, loss: weightedBinaryCrossEntropy });
  const dropout = model.getLayer(HEAD_LAYER_NAMES.dropout) as unknown as { seed?: number };

  let state: LoopState = {
    epoch: 0,
    globalStep: 0,
    bestValLoss: Number.POSITIVE_INFINITY,
    bestEpoch: -1,
    epochsWithoutImprovement: 0,
  };
  if (options.resume) {
    const loaded = await loadCheckpoint(checkpointDir, model, optimizer);
    if (loaded) state = loaded;
  } else await writeFile(logFile, '');

  const windows = context === 3 ? [DEFAULT_WINDOWS[0]] : DEFAULT_WINDOWS;
  const generator = new BatchGenerator(trainSet, {
    dataDir: options.dataDir,
    size,
    windows,
    context: context === 3,
    batchSize,
    workers: options.workers ?? 1,
    seed,
  });
  const valGenerator = new BatchGenerator(valSet, {
    dataDir: options.dataDir,
    size,
    windows,
    context: context === 3,
    batchSize,
    workers: 0,
    seed,
  });
  const history: EpochRecord[] = [];
  let stoppedEarly = false;
  let epochsThisCall = 0;
  try {
    while (state.epoch < epochs) {
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
      const epoch = state.epoch;
      const rate = learningRateAt(epoch, epochs, lr);
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
      const plan = planEpoch(trainSet, epoch, seed, options.oversample ?? 2, options.augment ?? true);
      const steps = Math.ceil(plan.order.length / batchSize);
      const started = Date.now();
      let images = 0;
      let lossSum = 0;
      let step = 0;
      for await (const batch of generator.batches(plan, epoch)) {
        // A fresh, reproducible dropout mask each step: resume replays the same masks.
        dropout.seed = hashString(`${seed}:dropout:${state.globalStep}`);
        const x = tf.tensor4d(batch.x, [batch.n, size, size, 3]);
        const y = tf.tensor2d(batch.y, [batch.n, LABELS.length]);
        const loss = (await model.trainOnBatch(x, y)) as number;
        tf.dispose([x, y]);
        lossSum += loss * batch.n;
        images += batch.n;
        step++;
        state = { ...state, globalStep: state.globalStep + 1 };
        const elapsed = (Date.now() - started) / 1000;
        const ips = images / Math.max(elapsed, 1e-3);
        options.onStep?.({
          epoch,
          epochs,
          step,
          steps,
          loss: lossSum / images,
          imagesPerSecond: ips,
          etaSeconds: ((steps - step) * batchSize) / Math.max(ips, 1e-9),
        });
      }
      const seconds = (Date.now() - started) / 1000;
      const val = valSet.length > 0 ? await scoreSet(valGenerator, valSet, tfjsPredictor(model, size)) : null;
      const end = await endEpoch({
        state,
        epoch,
        lr: rate,
        lossSum,
        images,
        seconds,
        val,
        patience,
        backend,
        files: { logFile, bestDir, checkpointDir },
        save: (dir, next) => saveCheckpoint(dir, model, optimizer, next),
      });
      state = end.state;
      const record = end.record;
      history.push(record);
      options.onEpoch?.(record);
      epochsThisCall++;
      if (end.stop) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    await generator.close();
    await valGenerator.close();
  }
  const finalWeights = model.weights.map((w) => w.read().dataSync() as Float32Array);

  let card: ModelCard | null = null;
  const finished = state.epoch >= epochs || stoppedEarly;
  if ((options.writeModel ?? true) && finished) {
    // The model directory gets the best epoch's weights, scored once more on validation for the card.
    await loadCheckpoint(bestDir, model, optimizer);
    const val = valSet.length > 0 ? await scoreSet(valGenerator, valSet, tfjsPredictor(model, size)) : null;
    card = await writeTrainedModel(model, config, options, {
      backend,
      context,
      epochs: state.bestEpoch + 1,
      val,
      trainImages: trainSet.length,
      valImages: valSet.length,
      patients: data.patients,
    });
  }
  model.dispose();
  optimizer.dispose();
  return { backend, history, state, stoppedEarly, card, finalWeights, train: trainSet.length, val: valSet.length };
}

/** The tfjs network's outputs for one batch, for scoreSet. */
function tfjsPredictor(model: tf.LayersModel, size: number) {
  return async (x: Float32Array, n: number): Promise<Float32Array> => {
    const out = tf.tidy(() => model.predict(tf.tensor4d(x, [n, size, size, 3])) as tf.Tensor);
    const p = (await out.data()) as Float32Array;
    out.dispose();
    return p;
  };
}

/**
 * Copies the trained weights into an inference model (BatchNormalization without gamma, the exact Keras layout) and
 * writes the model directory: tfjs files, ONNX, and a card that says what the model was trained on and how it
 * scored on its validation patients. Thresholds: per label, the highest that reaches 95% validation sensitivity.
 */
async function writeTrainedModel(
  trained: tf.LayersModel,
  config: ModelConfig,
  options: TrainOptions,
  info: {
    backend: string;
    context: 1 | 3;
    epochs: number;
    val: Scored[] | null;
    trainImages: number;
    valImages: number;
    patients: { train: number; val: number };
  },
): Promise<ModelCard> {
  const inference = buildClassifier(config);
  try {
    const byName = new Map(trained.weights.map((w) => [w.originalName, w]));
    for (const layer of inference.layers) {
      const values = layer.weights.map((w) => {
        const source = byName.get(w.originalName.replace(/^[^/]+\//, `${layer.name}/`)) ?? byName.get(w.originalName);
        if (!source) throw new Error(`trained model has no weight ${w.originalName}`);
        return source.read();
      });
      if (values.length > 0) layer.setWeights(values);
    }
    const thresholds = Object.fromEntries(LABELS.map((l) => [l, 0.5])) as Record<string, number>;
    const metrics: Record<string, number> = {};
    if (info.val && info.val.length > 0) {
      metrics.valWeightedLogLoss = weightedLogLoss(info.val);
      LABELS.forEach((label, k) => {
        const truth = info.val!.map((r) => r.truth[k]!);
        const score = info.val!.map((r) => r.probability[k]!);
        const auc = rocAuc(truth, score);
        if (auc !== null) metrics[`valAuc_${label}`] = auc;
        const at = thresholdForSensitivity(truth, score, 0.95);
        if (at) thresholds[label] = Math.min(1, Math.max(0, at.threshold));
      });
    }
    const context = info.context;
    return await writeModelDir(
      options.out,
      inference,
      {
        format: 'ich-model-card/1',
        name: 'ich-inception-v3',
        version: `1.0.0+${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`,
        status: 'trained',
        createdAt: new Date().toISOString(),
        architecture: {
          base: 'InceptionV3',
          denseUnits: config.denseUnits,
          dropout: config.dropout,
          baseParameters: INCEPTION_V3_BASE_PARAMETERS,
          totalParameters: inference.countParams(),
        },
        inputSize: config.inputSize,
        windows: context === 3 ? [DEFAULT_WINDOWS[0]] : DEFAULT_WINDOWS,
        contextSlices: context,
        labels: LABELS,
        thresholds: thresholds as LabelProbabilities,
        aggregation: 'max',
        trainingData: `${options.dataDir}: ${info.trainImages} training and ${info.valImages} validation slices (${info.patients.train}/${info.patients.val} patients, split by patient); ${info.epochs} epoch(s) at ${config.inputSize} px on tfjs ${info.backend}`,
        metrics,
        intendedUse: 'Research and development of the triage pipeline. Not for clinical use.',
        limitations: [
          'Validation figures come from the same source as the training data; they say nothing about real patients',
          'Not a medical device; never use for diagnosis or triage of patients',
        ],
      },
      { weights: options.float16 ? 'float16' : 'float32' },
    );
  } finally {
    inference.dispose();
  }
}
