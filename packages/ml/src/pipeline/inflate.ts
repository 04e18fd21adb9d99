import { inflateRawSync } from 'node:zlib';
import { AppError } from '@ich/errors';

/** Deflated data sets larger than this are refused rather than inflated (a zip bomb must not take the process down). */
const MAX_INFLATED_BYTES = 1 << 30;

/** Node's raw inflate with an output cap; what the Node loaders pass to parseDicom. */
export function boundedInflateRaw(deflated: Uint8Array): Uint8Array {
  try {
    return inflateRawSync(deflated, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (thrown) {
    throw new AppError('BAD_DICOM', `deflated data set cannot be inflated: ${(thrown as Error).message}`);
  }
}
