import { AppError, err, ok, type Result } from '@ich/errors';
import { encapsulatedFrameBytes } from '../dicom/frames.js';
import { transferSyntaxInfo } from '../dicom/transfer-syntax.js';
import type { ParsedDicom, StoredPixels } from '../dicom/types.js';
import { decodeNativeFrame } from './native.js';
import { type DecodePool, sharedDecodePool } from './pool.js';

export interface DecodeFrameOptions {
  /** Time limit for one compressed frame (default: the pool's, 10 s). */
  readonly timeoutMs?: number;
  readonly pool?: DecodePool;
}

/**
 * Decodes one frame to stored values. Uncompressed frames are read on the calling thread (a view or a byte
 * swap: nothing that can hang); compressed frames go to the worker pool with a time limit. Never throws.
 */
export async function decodeFrame(
  parsed: ParsedDicom,
  frameIndex: number,
  options: DecodeFrameOptions = {},
): Promise<Result<StoredPixels>> {
  const ts = transferSyntaxInfo(parsed.attrs.transferSyntaxUid);
  if (!ts || ts.codec === null) {
    return err(
      new AppError(
        'UNSUPPORTED_TRANSFER_SYNTAX',
        `transfer syntax ${parsed.attrs.transferSyntaxUid} cannot be decoded`,
      ),
    );
  }
  if (ts.codec === 'native') return decodeNativeFrame(parsed, frameIndex, ts.bigEndian === true);
  const bytes = encapsulatedFrameBytes(parsed, frameIndex);
  if (!bytes.ok) return bytes;
  const { rows, columns, bitsAllocated, bitsStored, pixelRepresentation } = parsed.attrs;
  const pool = options.pool ?? sharedDecodePool();
  const decoded = await pool.decode(
    {
      codec: ts.codec,
      frame: new Uint8Array(bytes.value),
      spec: { rows, columns, bitsAllocated, signed: pixelRepresentation === 1 && bitsStored === bitsAllocated },
    },
    options.timeoutMs,
  );
  if (!decoded.ok) return decoded;
  return ok({ rows, columns, values: decoded.value });
}
