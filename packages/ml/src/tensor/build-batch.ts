import { DEFAULT_WINDOWS, type HuWindow } from '../window/windows.js';
import { cachedResizePlan, resizeWindowInto } from './resize-window.js';

/** One slice in HU, as the batch builder needs it. */
export interface HuSlice {
  readonly hu: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

export interface BatchOptions {
  /** Model input height and width (square), e.g. 299 for InceptionV3. */
  readonly size: number;
  /** Without context: one channel per window (default DEFAULT_WINDOWS, three channels). */
  readonly windows?: readonly HuWindow[];
  /**
   * Neighbour-slice context: channels become [window(i−1), window(i), window(i+1)] in `contextWindow` (default
   * brain). Slices at the ends of the series repeat themselves for the missing neighbour. The slices passed must
   * be in series order for this to mean anything.
   */
  readonly context?: boolean;
  readonly contextWindow?: HuWindow;
}

/** Number of channels `buildBatch` produces for these options. */
export function batchChannels(options: BatchOptions): number {
  return options.context ? 3 : (options.windows ?? DEFAULT_WINDOWS).length;
}

/**
 * Slices [start, start+count) → one NHWC float32 tensor [count, size, size, channels], values in [0, 1], ready
 * for any engine (onnxruntime, tfjs). Each slice's HU plane is resized once (tf.image.resizeBilinear semantics),
 * then windowed on the small image, by `resizeWindowInto` — the same kernel training renders with
 * (`renderAugmented`), so the model trains on the pixels it is served.
 */
export function buildBatch(
  slices: readonly HuSlice[],
  start: number,
  count: number,
  options: BatchOptions,
): Float32Array {
  if (!Number.isInteger(options.size) || options.size < 1)
    throw new RangeError(`size must be a positive integer, not ${options.size}`);
  if (start < 0 || count < 0 || start + count > slices.length)
    throw new RangeError(`slices ${start}..${start + count} outside 0..${slices.length}`);
  const size = options.size;
  const channels = batchChannels(options);
  const out = new Float32Array(count * size * size * channels);
  const windows = options.windows ?? DEFAULT_WINDOWS;
  const contextWindow = options.contextWindow ?? DEFAULT_WINDOWS[0];
  for (let b = 0; b < count; b += 1) {
    const i = start + b;
    const slice = slices[i] as HuSlice;
    if (slice.hu.length < slice.rows * slice.columns)
      throw new RangeError(`slice ${i} has ${slice.hu.length} values for ${slice.rows}×${slice.columns}`);
    const offset = b * size * size * channels;
    const plan = cachedResizePlan(slice.rows, slice.columns, size, size);
    if (options.context) {
      // A neighbour of another size cannot be stacked pixel for pixel; the centre slice stands in for it.
      const same = (s: HuSlice | undefined) =>
        s && s.rows === slice.rows && s.columns === slice.columns ? s.hu : slice.hu;
      resizeWindowInto(
        [same(slices[i - 1]), slice.hu, same(slices[i + 1])],
        [contextWindow, contextWindow, contextWindow],
        plan,
        out,
        offset,
      );
    } else {
      resizeWindowInto(
        windows.map(() => slice.hu),
        windows,
        plan,
        out,
        offset,
      );
    }
  }
  return out;
}

/** One preprocessed slice: [size, size, channels]. */
export function preprocessSlice(slice: HuSlice, options: BatchOptions): Float32Array {
  return buildBatch([slice], 0, 1, { ...options, context: false });
}
