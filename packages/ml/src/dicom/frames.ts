import { AppError, err, ok, type Result } from '@ich/errors';
import type { ParsedDicom, PixelFragment } from './types.js';

/** Bytes of one native frame. */
export function nativeFrameBytes(parsed: ParsedDicom, frameIndex: number): Result<Uint8Array> {
  const { attrs, pixelData } = parsed;
  if (pixelData.encapsulated) return err(new AppError('BAD_DICOM', 'pixel data is encapsulated'));
  const bad = checkIndex(frameIndex, attrs.numberOfFrames);
  if (bad) return err(bad);
  const frameLength = (attrs.rows * attrs.columns * attrs.samplesPerPixel * attrs.bitsAllocated) / 8;
  const start = pixelData.position + frameIndex * frameLength;
  if (start + frameLength > parsed.bytes.length)
    return err(new AppError('TRUNCATED', `frame ${frameIndex} ends past the end of the file`));
  return ok(parsed.bytes.subarray(start, start + frameLength));
}

/**
 * The compressed bitstream of one encapsulated frame. A single-frame image may be split over several fragments;
 * multi-frame images are split by the Basic Offset Table or, without one, one fragment per frame.
 */
export function encapsulatedFrameBytes(parsed: ParsedDicom, frameIndex: number): Result<Uint8Array> {
  const { attrs, pixelData } = parsed;
  if (!pixelData.encapsulated) return err(new AppError('BAD_DICOM', 'pixel data is not encapsulated'));
  const bad = checkIndex(frameIndex, attrs.numberOfFrames);
  if (bad) return err(bad);
  const { fragments, basicOffsetTable } = pixelData;
  let chosen: readonly PixelFragment[];
  if (attrs.numberOfFrames === 1) {
    chosen = fragments;
  } else if (basicOffsetTable.length === attrs.numberOfFrames) {
    const start = basicOffsetTable[frameIndex] ?? 0;
    const end = basicOffsetTable[frameIndex + 1] ?? Number.POSITIVE_INFINITY;
    chosen = fragments.filter((f) => f.offset >= start && f.offset < end);
  } else if (fragments.length === attrs.numberOfFrames) {
    chosen = fragments.slice(frameIndex, frameIndex + 1);
  } else {
    return err(
      new AppError(
        'BAD_DICOM',
        `${attrs.numberOfFrames} frames in ${fragments.length} fragments without a usable Basic Offset Table`,
      ),
    );
  }
  if (chosen.length === 0) return err(new AppError('TRUNCATED', `no pixel data fragment for frame ${frameIndex}`));
  if (chosen.length === 1) {
    const f = chosen[0] as PixelFragment;
    return ok(parsed.bytes.subarray(f.position, f.position + f.length));
  }
  const total = chosen.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of chosen) {
    out.set(parsed.bytes.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return ok(out);
}

function checkIndex(frameIndex: number, frames: number): AppError | null {
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= frames) {
    return new AppError('BAD_USER_INPUT', `frame ${frameIndex} does not exist; the image has ${frames} frame(s)`);
  }
  return null;
}
