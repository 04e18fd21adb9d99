import { AppError, err, ok, type Result } from '@ich/errors';
import type { DicomAttributes } from './types.js';

/** Larger than any CT slice (1024² is the biggest in practice); protects memory against hostile headers. */
const MAX_PIXELS_PER_FRAME = 4096 * 4096;
const MAX_FRAMES = 4096;

/** Checks the image pixel module; returns the first problem or null. */
export function validateImageAttributes(a: DicomAttributes): AppError | null {
  if (a.rows <= 0 || a.columns <= 0)
    return new AppError('BAD_DICOM', `image has ${a.rows} rows and ${a.columns} columns`);
  if (a.rows * a.columns > MAX_PIXELS_PER_FRAME)
    return new AppError('UNSUPPORTED_PIXEL_FORMAT', `image of ${a.rows}×${a.columns} pixels is larger than supported`);
  if (a.numberOfFrames < 1 || a.numberOfFrames > MAX_FRAMES)
    return new AppError('BAD_DICOM', `NumberOfFrames is ${a.numberOfFrames}`);
  const pi = a.photometricInterpretation;
  if (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2') {
    return new AppError(
      'UNSUPPORTED_PHOTOMETRIC',
      `photometric interpretation "${pi || '(missing)'}"; only MONOCHROME1/MONOCHROME2 are supported`,
    );
  }
  if (a.samplesPerPixel !== 1)
    return new AppError('UNSUPPORTED_PHOTOMETRIC', `${a.samplesPerPixel} samples per pixel; only 1 is supported`);
  if (a.bitsAllocated !== 8 && a.bitsAllocated !== 16 && a.bitsAllocated !== 32) {
    return new AppError(
      'UNSUPPORTED_PIXEL_FORMAT',
      `BitsAllocated ${a.bitsAllocated}; only 8, 16 and 32 are supported`,
    );
  }
  if (a.bitsStored < 1 || a.bitsStored > a.bitsAllocated)
    return new AppError('BAD_DICOM', `BitsStored ${a.bitsStored} with BitsAllocated ${a.bitsAllocated}`);
  if (a.pixelRepresentation !== 0 && a.pixelRepresentation !== 1)
    return new AppError('BAD_DICOM', `PixelRepresentation ${a.pixelRepresentation}`);
  if (!Number.isFinite(a.rescaleSlope) || !Number.isFinite(a.rescaleIntercept))
    return new AppError('BAD_DICOM', 'rescale slope or intercept is not a number');
  return null;
}

/**
 * Whether an instance may be triaged: the model was trained on CT only. Preprocessing itself works on any
 * monochrome image, so this is a separate check that ingest and the worker apply.
 */
export function checkCtEligibility(a: Pick<DicomAttributes, 'modality'>): Result<true> {
  if (a.modality !== 'CT')
    return err(new AppError('NOT_CT', `modality is "${a.modality || '(missing)'}", not CT`, { modality: a.modality }));
  return ok(true);
}
