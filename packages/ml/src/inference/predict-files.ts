import type { ErrorCode } from '@ich/errors';
import { describeEngine, type EngineChoice } from '../engines/engine.js';
import { sharedEngine } from '../engines/select-engine.js';
import type { LabelProbabilities } from '../labels.js';
import { type Aggregation, type ModelCardSummary, summarizeCard } from '../model/card.js';
import { loadStudies } from '../pipeline/load-studies.js';
import { inferStudy, type StudyPrediction } from './infer-study.js';

export interface PredictReport {
  readonly model: ModelCardSummary;
  /** The engine in words: "onnx (onnxruntime-node 1.30.0) on cpu (2 threads)". */
  readonly engine: string;
  readonly studies: readonly {
    readonly studyInstanceUid: string;
    readonly seriesInstanceUid: string;
    readonly probabilities: LabelProbabilities;
    readonly triage: boolean;
    readonly aggregation: Aggregation;
    readonly modelVersion: string;
    readonly slices: readonly { readonly sopInstanceUid: string; readonly probabilities: LabelProbabilities }[];
  }[];
  /** Files that could not be used, each with its reason; they never stop the others. */
  readonly rejected: readonly { readonly path: string; readonly code: ErrorCode; readonly message: string }[];
}

export interface PredictFilesOptions {
  readonly modelDir: string;
  readonly engine?: EngineChoice;
  readonly batchSize?: number;
  readonly aggregation?: Aggregation;
  readonly onLoadProgress?: (done: number, total: number) => void;
  readonly onInferProgress?: (studyIndex: number, studies: number, done: number, total: number) => void;
}

/**
 * Files or folders → studies → predictions: the CLI's `predict`. The engine loads once (shared per process) while
 * the files decode; studies run one after another so only one study's tensors are alive at a time.
 */
export async function predictFiles(paths: readonly string[], options: PredictFilesOptions): Promise<PredictReport> {
  const enginePromise = sharedEngine(options.modelDir, { choice: options.engine ?? 'auto' });
  // Surface a model/engine failure even if loading the files fails first.
  enginePromise.catch(() => undefined);
  const { studies, rejected } = await loadStudies(paths, {
    ...(options.onLoadProgress ? { onProgress: (d, t) => options.onLoadProgress?.(d, t) } : {}),
  });
  const { engine, card } = await enginePromise;
  const results: StudyPrediction[] = [];
  const total = studies.length;
  for (let index = 0; index < total; index++) {
    // Take the study out of the list so its decoded slices can be collected as soon as it is done.
    const study = studies.shift()!;
    results.push(
      await inferStudy(engine, card, study, {
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        ...(options.aggregation ? { aggregation: options.aggregation } : {}),
        onProgress: (done, slices) => options.onInferProgress?.(index, total, done, slices),
      }),
    );
  }
  return {
    model: summarizeCard(card),
    engine: describeEngine(engine),
    studies: results.map((r) => ({
      studyInstanceUid: r.studyInstanceUid,
      seriesInstanceUid: r.seriesInstanceUid,
      probabilities: r.probabilities,
      triage: r.triage,
      aggregation: r.aggregation,
      modelVersion: r.model.version,
      slices: r.slices.map((s) => ({ sopInstanceUid: s.sopInstanceUid, probabilities: s.probabilities })),
    })),
    rejected: rejected.map((r) => ({ path: r.path, code: r.error.code, message: r.error.message })),
  };
}
