import type { ErrorCode } from '@ich/errors';
import { describeEngine, type EngineChoice } from '../engines/engine.js';
import { sharedEngine } from '../engines/select-engine.js';
import type { LabelProbabilities } from '../labels.js';
import { type Aggregation, type ModelCardSummary, summarizeCard } from '../model/card.js';
import { filesByStudy, loadStudies } from '../pipeline/load-studies.js';
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
 * the headers are read; studies are decoded and run one after another so only one study's slices are alive at a time.
 */
export async function predictFiles(paths: readonly string[], options: PredictFilesOptions): Promise<PredictReport> {
  const enginePromise = sharedEngine(options.modelDir, { choice: options.engine ?? 'auto' });
  // Surface a model/engine failure even if loading the files fails first.
  enginePromise.catch(() => undefined);
  // One study at a time: its slices are decoded, analyzed and released before the next is read, so memory holds
  // one study (loadStudies' bound applies per study) however large the dataset.
  const { groups, rejected } = await filesByStudy(paths);
  const totalFiles = [...groups.values()].reduce((n, g) => n + g.length, 0);
  let filesDone = 0;
  const { engine, card } = await enginePromise;
  const results: StudyPrediction[] = [];
  // Unreadable files first (their rejections are reported while the studies load), then one study per group.
  const ordered = [...groups.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : 0)).map(([, g]) => g);
  const studyCount = [...groups.keys()].filter((key) => key !== '').length;
  let index = 0;
  for (const files of ordered) {
    const before = filesDone;
    const loaded = await loadStudies(files, {
      onProgress: (done) => {
        filesDone = before + done;
        options.onLoadProgress?.(filesDone, totalFiles);
      },
    });
    rejected.push(...loaded.rejected);
    for (const study of loaded.studies) {
      const at = index++;
      results.push(
        await inferStudy(engine, card, study, {
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          ...(options.aggregation ? { aggregation: options.aggregation } : {}),
          onProgress: (done, slices) => options.onInferProgress?.(at, studyCount, done, slices),
        }),
      );
    }
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
