import { inflateRawSync } from 'node:zlib';
import { AppError } from '@ich/errors';

/**
 * Deflated data sets larger than this are refused rather than inflated (a zip bomb must not take the process down):
 * the same bound as a file on disk. Parsing copies the inflated bytes, so 1 GiB inflated had cost 3.1 GB of memory.
 */
export const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

/** Node's raw inflate with an output cap; what the Node loaders pass to parseDicom. */
export function boundedInflateRaw(deflated: Uint8Array, maxBytes = MAX_INFLATED_BYTES): Uint8Array {
  try {
    return inflateRawSync(deflated, { maxOutputLength: maxBytes });
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new AppError('FILE_TOO_LARGE', `the deflated data set inflates to more than ${maxBytes} bytes`);
    throw new AppError('BAD_DICOM', `deflated data set cannot be inflated: ${(thrown as Error).message}`);
  }
}
