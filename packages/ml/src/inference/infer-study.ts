import { AppError } from '@ich/errors';
import type { Engine } from '../engines/engine.js';
import { LABELS, type Label, type LabelProbabilities } from '../labels.js';
import { type Aggregation, cardChannels, type ModelCard } from '../model/card.js';
import type { LoadedSeries, LoadedStudy } from '../pipeline/group-studies.js';
import { buildBatch, type HuSlice } from '../tensor/build-batch.js';
import { aggregateStudy, triageDecision } from './aggregate.js';

export interface SlicePrediction {
  readonly sopInstanceUid: string;
  readonly instanceNumber: number | null;
  readonly probabilities: LabelProbabilities;
}

export interface StudyPrediction {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly probabilities: LabelProbabilities;
  readonly triage: boolean;
  readonly aggregation: Aggregation;
  readonly model: { readonly name: string; readonly version: string; readonly status: ModelCard['status'] };
  /** In series order (ImagePositionPatient along the slice normal), as the preprocessing layer sorted them. */
  readonly slices: readonly SlicePrediction[];
}

export interface InferOptions {
  /** Images per engine call (default 16: near-peak throughput on CPU without large latency per call). */
  readonly batchSize?: number;
  /** Override the card's aggregation. */
  readonly aggregation?: Aggregation;
  /** Called after each batch with slices done and total. */
  readonly onProgress?: (done: number, total: number) => void;
}

type SeriesSlice = HuSlice & { readonly sopInstanceUid: string; readonly instanceNumber: number | null };

/**
 * The series a head-CT study is read from: the one with the most slices (a study may also hold a scout or a
 * reformat with a handful of images; the primary axial series is the long one).
 */
export function primarySeries(study: LoadedStudy): LoadedSeries {
  const best = [...study.series].sort((a, b) => b.slices.length - a.slices.length)[0];
  if (!best || best.slices.length === 0)
    throw new AppError('BAD_SERIES', `study ${study.studyInstanceUid} has no usable series`);
  return best;
}

/** Runs the primary series of a loaded study through the engine and rolls the slices up into a study result. */
export async function inferStudy(
  engine: Engine,
  card: ModelCard,
  study: LoadedStudy,
  options: InferOptions = {},
): Promise<StudyPrediction> {
  const series = primarySeries(study);
  const slices = await inferSlices(engine, card, series.slices, options);
  const aggregation = options.aggregation ?? card.aggregation;
  const probabilities = aggregateStudy(
    slices.map((s) => s.probabilities),
    card.labels,
    aggregation,
  );
  return {
    studyInstanceUid: study.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    probabilities,
    triage: triageDecision(probabilities, card.thresholds, card.labels),
    aggregation,
    model: { name: card.name, version: card.version, status: card.status },
    slices,
  };
}

/**
 * Ordered slices → per-slice probabilities, in the same order. Preprocessing of batch k+1 (windows + resize, on
 * this thread) runs while the engine computes batch k (onnxruntime runs on its own threads), so on CPU the
 * preprocessing cost mostly disappears behind inference. Batches are dropped as soon as they are used.
 */
export async function inferSlices(
  engine: Engine,
  card: ModelCard,
  slices: readonly SeriesSlice[],
  options: InferOptions = {},
): Promise<SlicePrediction[]> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppError('BAD_USER_INPUT', `batch size must be a positive integer, got ${batchSize}`);
  if (engine.channels !== cardChannels(card) || engine.inputSize !== card.inputSize)
    throw new AppError(
      'BAD_MODEL',
      `engine input ${engine.inputSize}px×${engine.channels} does not match the card (${card.inputSize}px×${cardChannels(card)})`,
    );
  const batchOptions = {
    size: card.inputSize,
    windows: card.windows,
    context: card.contextSlices === 3,
    ...(card.contextSlices === 3 && card.windows[0] ? { contextWindow: card.windows[0] } : {}),
  };
  const labels: readonly Label[] = card.labels;
  const out: SlicePrediction[] = [];
  const total = slices.length;
  const build = (start: number): Float32Array =>
    buildBatch(slices, start, Math.min(batchSize, total - start), batchOptions);
  let next: Float32Array | null = total > 0 ? build(0) : null;
  for (let start = 0; next; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    const running = engine.run(next, n);
    // Build the next batch while the engine works on this one.
    next = start + batchSize < total ? build(start + batchSize) : null;
    const probs = await running;
    for (let i = 0; i < n; i++) {
      const slice = slices[start + i]!;
      const row = {} as LabelProbabilities;
      for (const label of LABELS) row[label] = 0;
      labels.forEach((label, j) => {
        row[label] = probs[i * labels.length + j]!;
      });
      out.push({ sopInstanceUid: slice.sopInstanceUid, instanceNumber: slice.instanceNumber, probabilities: row });
    }
    options.onProgress?.(start + n, total);
  }
  return out;
}
