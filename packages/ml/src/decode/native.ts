import { AppError, err, ok, type Result } from '@ich/errors';
import { nativeFrameBytes } from '../dicom/frames.js';
import type { ParsedDicom, StoredArray, StoredPixels } from '../dicom/types.js';

/**
 * Uncompressed frames (implicit/explicit little endian, deflated after inflation, explicit big endian). Little
 * endian frames on an aligned offset are viewed without copying; everything else is copied into a fresh array.
 */
export function decodeNativeFrame(parsed: ParsedDicom, frameIndex: number, bigEndian: boolean): Result<StoredPixels> {
  const bytes = nativeFrameBytes(parsed, frameIndex);
  if (!bytes.ok) return bytes;
  const { rows, columns, bitsAllocated, pixelRepresentation, bitsStored } = parsed.attrs;
  const values = storedFromBytes(
    bytes.value,
    bitsAllocated,
    pixelRepresentation === 1 && bitsStored === bitsAllocated,
    bigEndian,
  );
  if (!values) return err(new AppError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${bitsAllocated}`));
  return ok({ rows, columns, values });
}

/** Interprets raw sample bytes as an array of stored values; `signed` only picks the container type. */
export function storedFromBytes(
  bytes: Uint8Array,
  bitsAllocated: number,
  signed: boolean,
  bigEndian: boolean,
): StoredArray | null {
  if (bitsAllocated === 8) return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const width = bitsAllocated / 8;
  if (width !== 2 && width !== 4) return null;
  const count = Math.floor(bytes.length / width);
  const aligned = bytes.byteOffset % width === 0;
  const source = !bigEndian && aligned ? bytes : copyBytes(bytes, count * width, bigEndian ? width : 0);
  if (width === 2)
    return signed
      ? new Int16Array(source.buffer, source.byteOffset, count)
      : new Uint16Array(source.buffer, source.byteOffset, count);
  return signed
    ? new Int32Array(source.buffer, source.byteOffset, count)
    : new Uint32Array(source.buffer, source.byteOffset, count);
}

/** Copies `length` bytes, reversing each group of `swapWidth` bytes when non-zero (big endian to host order). */
function copyBytes(bytes: Uint8Array, length: number, swapWidth: number): Uint8Array {
  const out = new Uint8Array(length);
  if (swapWidth === 0) {
    out.set(bytes.subarray(0, length));
  } else if (swapWidth === 2) {
    for (let i = 0; i < length; i += 2) {
      out[i] = bytes[i + 1] as number;
      out[i + 1] = bytes[i] as number;
    }
  } else {
    for (let i = 0; i < length; i += 4) {
      out[i] = bytes[i + 3] as number;
      out[i + 1] = bytes[i + 2] as number;
      out[i + 2] = bytes[i + 1] as number;
      out[i + 3] = bytes[i] as number;
    }
  }
  return out;
}
