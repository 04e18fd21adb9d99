import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatasetImage } from '../dataset/dataset-index.js';
import type { BatchGenerator } from '../dataset/generator.js';
import { rocAuc, type Scored, weightedLogLoss } from '../evaluate/metrics.js';
import { LABELS } from '../labels.js';
import { renderLineChart } from '../plot/line-chart.js';
import type { LoopState } from './checkpoint.js';

/** One epoch as the JSON-lines log and the curve record it. */
export interface EpochRecord {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly valAnyAuc: number | null;
  readonly imagesPerSecond: number;
  readonly seconds: number;
  readonly improved: boolean;
}

/**
 * The end of an epoch, the same for every trainer (tfjs, torch): the validation figures, early-stopping state, the
 * log line, the best and latest checkpoints (through the trainer's own `save`) and the training curve. The monitored
 * loss is the validation loss, or the training loss when there is no validation set.
 */
export async function endEpoch(input: {
  readonly state: LoopState;
  readonly epoch: number;
  readonly lr: number;
  readonly lossSum: number;
  readonly images: number;
  readonly seconds: number;
  /** Validation predictions, or null without a validation set. */
  readonly val: readonly Scored[] | null;
  readonly patience: number;
  readonly backend: string;
  readonly files: { readonly logFile: string; readonly bestDir: string; readonly checkpointDir: string };
  readonly save: (dir: string, state: LoopState) => Promise<void>;
}): Promise<{ state: LoopState; record: EpochRecord; stop: boolean }> {
  const { val, files } = input;
  const trainLoss = input.lossSum / input.images;
  const valLoss = val ? weightedLogLoss(val) : null;
  const valAnyAuc = val
    ? rocAuc(
        val.map((r) => r.truth[0]!),
        val.map((r) => r.probability[0]!),
      )
    : null;
  const monitored = valLoss ?? trainLoss;
  const improved = monitored < input.state.bestValLoss - 1e-6;
  const state: LoopState = {
    ...input.state,
    epoch: input.epoch + 1,
    bestValLoss: improved ? monitored : input.state.bestValLoss,
    bestEpoch: improved ? input.epoch : input.state.bestEpoch,
    epochsWithoutImprovement: improved ? 0 : input.state.epochsWithoutImprovement + 1,
  };
  const record: EpochRecord = {
    epoch: input.epoch,
    lr: input.lr,
    trainLoss,
    valLoss,
    valAnyAuc,
    imagesPerSecond: input.images / input.seconds,
    seconds: input.seconds,
    improved,
  };
  await appendFile(
    files.logFile,
    `${JSON.stringify({ ...record, backend: input.backend, time: new Date().toISOString() })}\n`,
  );
  if (improved) await input.save(files.bestDir, state);
  await input.save(files.checkpointDir, state);
  await writeCurve(files.logFile, join(dirname(files.logFile), 'curve.png'));
  return { state, record, stop: state.epochsWithoutImprovement >= input.patience };
}

/**
 * Scores a set (validation) in order without augmentation, through whichever trainer's network: `predict` takes a
 * float32 NHWC batch of `n` images and returns their sigmoid outputs, label-major per image.
 */
export async function scoreSet(
  generator: BatchGenerator,
  set: readonly DatasetImage[],
  predict: (x: Float32Array, n: number) => Promise<Float32Array>,
): Promise<Scored[]> {
  const rows: Scored[] = [];
  for await (const batch of generator.batches({ order: set.map((_, i) => i), augment: false }, 0)) {
    const p = await predict(batch.x, batch.n);
    for (let i = 0; i < batch.n; i++)
      rows.push({
        truth: batch.y.subarray(i * LABELS.length, (i + 1) * LABELS.length),
        probability: p.slice(i * LABELS.length, (i + 1) * LABELS.length),
      });
  }
  return rows;
}

/** The training curve PNG from the JSON-lines log (train and validation loss per epoch). */
export async function writeCurve(logFile: string, png: string): Promise<void> {
  const records = (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EpochRecord);
  const train = records.map((r) => [r.epoch + 1, r.trainLoss] as const);
  const val = records.filter((r) => r.valLoss !== null).map((r) => [r.epoch + 1, r.valLoss!] as const);
  const all = [...train, ...val].map((p) => p[1]);
  await writeFile(
    png,
    renderLineChart(
      [
        { name: 'train loss', points: train },
        { name: 'val loss', points: val },
      ],
      {
        title: 'training curve (weighted log loss)',
        xLabel: 'epoch',
        yLabel: 'loss',
        x: [0, Math.max(1, records.length)],
        y: [0, Math.max(0.1, ...all) * 1.1],
      },
    ),
  );
}
