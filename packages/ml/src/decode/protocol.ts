import type { ErrorCode } from '@ich/errors';
import type { PixelCodec } from '../dicom/transfer-syntax.js';
import type { StoredArray } from '../dicom/types.js';
import type { FrameSpec } from './codecs.js';

/** Messages between the decode pool and its workers. */
export interface DecodeRequest {
  readonly id: number;
  readonly codec: PixelCodec;
  readonly frame: Uint8Array;
  readonly spec: FrameSpec;
}

export type DecodeResponse =
  | { readonly id: number; readonly ok: true; readonly values: StoredArray }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
