import { LABELS, type Label } from '../labels.js';

/** The shape of one classifier: input size and channels, and the seed's head (GAP → dropout → dense → 6 sigmoids). */
export interface ModelConfig {
  /** Square input side in pixels. Keras' InceptionV3 needs at least 75; above 512 the CPU cost is not useful. */
  readonly inputSize: number;
  /** Input channels: windows × context slices (3 windows, one slice → 3). */
  readonly channels: number;
  readonly denseUnits: number;
  readonly dropout: number;
  readonly labels: readonly Label[];
}

export const MIN_INPUT_SIZE = 75;
export const MAX_INPUT_SIZE = 512;
/** Keras' keras.applications.InceptionV3(include_top=False) with 3 input channels. */
export const INCEPTION_V3_BASE_PARAMETERS = 21_802_784;

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  inputSize: 299,
  channels: 3,
  denseUnits: 256,
  dropout: 0.3,
  labels: LABELS,
};

/** Returns the problem with a config in words, or null when it is usable. */
export function modelConfigProblem(config: ModelConfig): string | null {
  const { inputSize, channels, denseUnits, dropout, labels } = config;
  if (!Number.isInteger(inputSize) || inputSize < MIN_INPUT_SIZE || inputSize > MAX_INPUT_SIZE)
    return `input size must be an integer from ${MIN_INPUT_SIZE} to ${MAX_INPUT_SIZE}, got ${inputSize}`;
  if (!Number.isInteger(channels) || channels < 1) return `channels must be a positive integer, got ${channels}`;
  if (!Number.isInteger(denseUnits) || denseUnits < 1)
    return `dense units must be a positive integer, got ${denseUnits}`;
  if (!(dropout >= 0 && dropout < 1)) return `dropout must be in [0, 1), got ${dropout}`;
  if (labels.length === 0) return 'labels must not be empty';
  return null;
}
