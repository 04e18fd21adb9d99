import { AppError, err, ok, type Result } from '@ich/errors';
import { type DecodeFrameOptions, decodeFrame } from '../decode/decode-frame.js';
import { type ParseOptions, parseDicom } from '../dicom/parse.js';
import type { DicomAttributes } from '../dicom/types.js';
import { checkCtEligibility } from '../dicom/validate.js';
import { type HounsfieldOptions, hasRsnaQuirk, toHounsfield } from '../hu/to-hounsfield.js';
import { boundedInflateRaw } from './inflate.js';

/**
 * A frame claiming more pixels than this is refused before it is decoded (FILE_TOO_LARGE): 4096² is 64 MiB of HU
 * values and eight times the largest CT matrix in use (1024²), while a small compressed file can claim any size.
 */
export const MAX_SLICE_PIXELS = 4096 * 4096;

/** One decoded frame in Hounsfield units, with the attributes it came from. */
export interface HounsfieldImage {
  readonly attrs: DicomAttributes;
  readonly frameIndex: number;
  readonly rows: number;
  readonly columns: number;
  /** rows × columns values after the modality rescale (HU for CT), row-major. */
  readonly hu: Float32Array;
  /** True when the RSNA 12-bit wrap correction was applied. */
  readonly rsnaQuirkApplied: boolean;
}

export interface HounsfieldImageOptions extends DecodeFrameOptions, HounsfieldOptions, ParseOptions {
  readonly frameIndex?: number;
  /** Reject non-CT images with NOT_CT (default false: any monochrome image is converted). */
  readonly requireCt?: boolean;
  /** Most pixels (rows × columns) a frame may claim before it is decoded (default MAX_SLICE_PIXELS). */
  readonly maxSlicePixels?: number;
}

/**
 * DICOM bytes → parse → decode one frame → Hounsfield units. Never throws; every failure is a coded AppError.
 * Deflated data sets are inflated with a size cap unless another inflater is given.
 */
export async function decodeToHounsfield(
  bytes: Uint8Array,
  options: HounsfieldImageOptions = {},
): Promise<Result<HounsfieldImage>> {
  try {
    const parsed = parseDicom(bytes, { inflateRaw: boundedInflateRaw, ...options });
    if (!parsed.ok) return parsed;
    const { attrs } = parsed.value;
    if (options.requireCt) {
      const eligible = checkCtEligibility(attrs);
      if (!eligible.ok) return eligible;
    }
    const maxPixels = options.maxSlicePixels ?? MAX_SLICE_PIXELS;
    if (attrs.rows * attrs.columns > maxPixels)
      return err(
        new AppError(
          'FILE_TOO_LARGE',
          `the image claims ${attrs.rows}×${attrs.columns} pixels; more than ${maxPixels} per frame is not decoded`,
        ),
      );
    const frameIndex = options.frameIndex ?? 0;
    const stored = await decodeFrame(parsed.value, frameIndex, options);
    if (!stored.ok) return stored;
    const quirk = (options.rsnaQuirk ?? true) && hasRsnaQuirk(attrs);
    const hu = toHounsfield(stored.value.values, attrs, options);
    return ok({ attrs, frameIndex, rows: attrs.rows, columns: attrs.columns, hu, rsnaQuirkApplied: quirk });
  } catch (thrown) {
    return err(
      thrown instanceof AppError
        ? thrown
        : new AppError('INTERNAL', 'decoding failed unexpectedly', undefined, { cause: thrown }),
    );
  }
}
