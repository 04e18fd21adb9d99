import { AppError } from '@ich/errors';
import { isLabel, LABELS, type Label, type LabelProbabilities } from '../labels.js';

/**
 * The model card: everything a user or the worker must know about a model directory without loading weights.
 * Pure data and validation (browser-safe), so the web app can show it and the API can stamp results with it.
 */
export const MODEL_CARD_FORMAT = 'ich-model-card/1';

export interface CardWindow {
  readonly name: string;
  /** Window centre (level) and width in Hounsfield units. */
  readonly center: number;
  readonly width: number;
}

/** How slice probabilities roll up into the study result for each label. */
export type Aggregation = 'max' | 'mean' | 'top3-mean';
export const AGGREGATIONS: readonly Aggregation[] = ['max', 'mean', 'top3-mean'];

export interface ModelCard {
  readonly format: typeof MODEL_CARD_FORMAT;
  readonly name: string;
  readonly version: string;
  /** 'untrained' cards carry seeded random weights: outputs are meaningless and every screen must say so. */
  readonly status: 'untrained' | 'trained';
  readonly createdAt: string;
  readonly architecture: {
    readonly base: 'InceptionV3';
    readonly denseUnits: number;
    readonly dropout: number;
    readonly baseParameters: number;
    readonly totalParameters: number;
  };
  readonly inputSize: number;
  /**
   * Input channels. contextSlices 1: one channel per window, in this order. contextSlices 3 (RSNA-winner style):
   * the first window of slices i−1, i, i+1 (what the preprocessing layer's `buildBatch({context: true})` makes).
   */
  readonly windows: readonly CardWindow[];
  readonly contextSlices: 1 | 3;
  readonly labels: readonly Label[];
  readonly thresholds: LabelProbabilities;
  readonly aggregation: Aggregation;
  readonly trainingData: string;
  readonly metrics: Readonly<Record<string, number>> | null;
  readonly intendedUse: string;
  readonly limitations: readonly string[];
  /** sha256 over the tfjs weight shards in manifest order: "sha256:<hex>". */
  readonly weightsHash: string;
  readonly files: { readonly tfjs: string; readonly onnx: string | null };
  /**
   * Optional: the triage flag's sensitivity and specificity the model is meant to reach in use, each in [0, 1]. The
   * API's accuracy-in-use monitor alerts admins when clinicians' reviews show the model falling short of them. Cards
   * written before this field existed have none and are still valid (the monitor then has nothing to alert on).
   */
  readonly targets?: ModelTargets;
}

export interface ModelTargets {
  readonly sensitivity: number;
  readonly specificity: number;
}

/** The card fields that results and listings carry (the CLI's `model` object). */
export type ModelCardSummary = Pick<
  ModelCard,
  | 'name'
  | 'version'
  | 'status'
  | 'inputSize'
  | 'windows'
  | 'contextSlices'
  | 'labels'
  | 'thresholds'
  | 'aggregation'
  | 'weightsHash'
>;

export function summarizeCard(card: ModelCard): ModelCardSummary {
  const { name, version, status, inputSize, windows, contextSlices, labels, thresholds, aggregation, weightsHash } =
    card;
  return { name, version, status, inputSize, windows, contextSlices, labels, thresholds, aggregation, weightsHash };
}

/** Number of input channels the card's preprocessing produces. */
export function cardChannels(card: Pick<ModelCard, 'windows' | 'contextSlices'>): number {
  return card.contextSlices === 3 ? 3 : card.windows.length;
}

/** Validates parsed JSON as a ModelCard; the error names the first field that is wrong. */
export function parseModelCard(value: unknown, source = 'card.json'): ModelCard {
  const fail = (field: string, want: string): never => {
    throw new AppError('BAD_MODEL', `${source}: "${field}" must be ${want}`, { field });
  };
  if (typeof value !== 'object' || value === null) return fail('(root)', 'an object');
  const v = value as Record<string, unknown>;
  const str = (k: string): string =>
    typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : fail(k, 'a non-empty string');
  const int = (obj: Record<string, unknown>, k: string, path: string): number =>
    Number.isInteger(obj[k]) && (obj[k] as number) > 0 ? (obj[k] as number) : fail(path, 'a positive integer');

  if (v.format !== MODEL_CARD_FORMAT) fail('format', `"${MODEL_CARD_FORMAT}"`);
  const status =
    v.status === 'untrained' || v.status === 'trained' ? v.status : fail('status', '"untrained" or "trained"');
  const arch =
    typeof v.architecture === 'object' && v.architecture !== null
      ? (v.architecture as Record<string, unknown>)
      : fail('architecture', 'an object');
  if (arch.base !== 'InceptionV3') fail('architecture.base', '"InceptionV3"');
  const dropout =
    typeof arch.dropout === 'number' && arch.dropout >= 0 && arch.dropout < 1
      ? arch.dropout
      : fail('architecture.dropout', 'a number in [0, 1)');
  const windows = Array.isArray(v.windows) && v.windows.length > 0 ? v.windows : fail('windows', 'a non-empty array');
  const parsedWindows = windows.map((w: unknown, i: number): CardWindow => {
    const o = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || typeof o.center !== 'number' || typeof o.width !== 'number' || !(o.width > 0))
      return fail(`windows[${i}]`, 'an object {name, center, width > 0}');
    return { name: o.name, center: o.center, width: o.width };
  });
  const contextSlices =
    v.contextSlices === 1 || v.contextSlices === 3 ? v.contextSlices : fail('contextSlices', '1 or 3');
  const labels =
    Array.isArray(v.labels) && v.labels.length > 0 && v.labels.every(isLabel)
      ? (v.labels as Label[])
      : fail('labels', `a list of ${LABELS.join(', ')}`);
  const t =
    typeof v.thresholds === 'object' && v.thresholds !== null
      ? (v.thresholds as Record<string, unknown>)
      : fail('thresholds', 'an object');
  const thresholds = Object.fromEntries(
    LABELS.map((label) => {
      const x = t[label];
      return [
        label,
        typeof x === 'number' && x >= 0 && x <= 1 ? x : fail(`thresholds.${label}`, 'a probability in [0, 1]'),
      ];
    }),
  ) as LabelProbabilities;
  const aggregation = AGGREGATIONS.includes(v.aggregation as Aggregation)
    ? (v.aggregation as Aggregation)
    : fail('aggregation', AGGREGATIONS.join(' | '));
  let metrics: Record<string, number> | null = null;
  if (v.metrics !== null) {
    if (
      typeof v.metrics !== 'object' ||
      v.metrics === undefined ||
      Object.values(v.metrics).some((m) => typeof m !== 'number')
    )
      fail('metrics', 'null or an object of numbers');
    metrics = v.metrics as Record<string, number>;
  }
  const limitations =
    Array.isArray(v.limitations) && v.limitations.every((s) => typeof s === 'string')
      ? (v.limitations as string[])
      : fail('limitations', 'a list of strings');
  const weightsHash =
    typeof v.weightsHash === 'string' && /^sha256:[0-9a-f]{64}$/.test(v.weightsHash)
      ? v.weightsHash
      : fail('weightsHash', '"sha256:<64 hex digits>"');
  const files =
    typeof v.files === 'object' && v.files !== null ? (v.files as Record<string, unknown>) : fail('files', 'an object');
  const tfjs = typeof files.tfjs === 'string' ? files.tfjs : fail('files.tfjs', 'a file name');
  const onnx =
    files.onnx === null || typeof files.onnx === 'string' ? files.onnx : fail('files.onnx', 'a file name or null');
  let targets: ModelTargets | undefined;
  if (v.targets !== undefined) {
    const o =
      typeof v.targets === 'object' && v.targets !== null && !Array.isArray(v.targets)
        ? (v.targets as Record<string, unknown>)
        : fail('targets', 'an object {sensitivity, specificity}');
    const rate = (k: 'sensitivity' | 'specificity') =>
      typeof o[k] === 'number' && o[k] >= 0 && o[k] <= 1 ? o[k] : fail(`targets.${k}`, 'a proportion in [0, 1]');
    targets = { sensitivity: rate('sensitivity'), specificity: rate('specificity') };
  }

  return {
    format: MODEL_CARD_FORMAT,
    name: str('name'),
    version: str('version'),
    status,
    createdAt: str('createdAt'),
    architecture: {
      base: 'InceptionV3',
      denseUnits: int(arch, 'denseUnits', 'architecture.denseUnits'),
      dropout,
      baseParameters: int(arch, 'baseParameters', 'architecture.baseParameters'),
      totalParameters: int(arch, 'totalParameters', 'architecture.totalParameters'),
    },
    inputSize: int(v, 'inputSize', 'inputSize'),
    windows: parsedWindows,
    contextSlices,
    labels,
    thresholds,
    aggregation,
    trainingData: str('trainingData'),
    metrics,
    intendedUse: str('intendedUse'),
    limitations,
    weightsHash,
    files: { tfjs, onnx },
    ...(targets ? { targets } : {}),
  };
}
