import { AppError, err, ok, type Result } from '@ich/errors';
import { type DecodeFrameOptions, decodeFrame } from '../decode/decode-frame.js';
import { type ParseOptions, parseDicom } from '../dicom/parse.js';
import { cachedResizePlan, huPlane, resizeWindowInto } from '../tensor/resize-window.js';
import { DEFAULT_WINDOWS, type HuWindow } from '../window/windows.js';
import { boundedInflateRaw } from './inflate.js';

export interface PreprocessDicomOptions extends DecodeFrameOptions, ParseOptions {
  /** Model input height and width (square), e.g. 299. */
  readonly size: number;
  /** One channel per window (default DEFAULT_WINDOWS). */
  readonly windows?: readonly HuWindow[];
  readonly frameIndex?: number;
}

/**
 * DICOM bytes → one slice of an NHWC batch, fused: parse, decode (uncompressed frames are a view on the bytes),
 * modality rescale per bilinear tap, resize, windows, written at `out[offset…]` — no full-resolution HU or
 * windowed image is made. The pixels are exactly `buildBatch` of `decodeToHounsfield`'s HU (same kernel,
 * `resizeWindowInto`). Never throws; returns the source rows and columns.
 */
export async function preprocessDicomInto(
  bytes: Uint8Array,
  options: PreprocessDicomOptions,
  out: Float32Array,
  offset: number,
): Promise<Result<{ rows: number; columns: number }>> {
  try {
    const parsed = parseDicom(bytes, { inflateRaw: boundedInflateRaw, ...options });
    if (!parsed.ok) return parsed;
    const stored = await decodeFrame(parsed.value, options.frameIndex ?? 0, options);
    if (!stored.ok) return stored;
    const { rows, columns } = parsed.value.attrs;
    const windows = options.windows ?? DEFAULT_WINDOWS;
    const plane = huPlane(stored.value.values, parsed.value.attrs);
    resizeWindowInto(
      windows.map(() => plane),
      windows,
      cachedResizePlan(rows, columns, options.size, options.size),
      out,
      offset,
    );
    return ok({ rows, columns });
  } catch (thrown) {
    return err(
      thrown instanceof AppError
        ? thrown
        : new AppError('INTERNAL', 'preprocessing failed unexpectedly', undefined, { cause: thrown }),
    );
  }
}
