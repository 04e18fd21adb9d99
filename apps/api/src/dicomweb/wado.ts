import { randomUUID } from 'node:crypto';
import { AppError } from '@ich/errors';
import { decodeFrame, parseDicom, type StoredArray } from '@ich/ml/node';
import dcmjs from 'dcmjs';
import type { Response } from 'express';
import type { ContentStore } from '../storage/content-store.js';
import { parseContentType, splitUnquoted } from './multipart-related.js';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** A multipart/related response written part by part, so a whole study is never assembled in memory. */
export class MultipartWriter {
  private readonly boundary = `ich-${randomUUID()}`;
  private started = false;

  constructor(
    private readonly res: Response,
    private readonly type: string,
  ) {}

  async part(body: Uint8Array, headers: Record<string, string>): Promise<void> {
    if (!this.started) {
      this.res.status(200);
      this.res.setHeader('Content-Type', `multipart/related; type="${this.type}"; boundary=${this.boundary}`);
      this.started = true;
    }
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    await write(this.res, `\r\n--${this.boundary}\r\n${head}\r\n`);
    await write(this.res, body);
  }

  end(): void {
    if (!this.started) {
      this.res
        .status(200)
        .setHeader('Content-Type', `multipart/related; type="${this.type}"; boundary=${this.boundary}`);
    }
    this.res.end(`\r\n--${this.boundary}--\r\n`);
  }
}

function write(res: Response, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = res.write(chunk, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else res.once('drain', resolve);
  });
}

/**
 * Frame numbers from `/frames/1,3,5` (1-based, as PS3.18 counts). Duplicates are kept in the order asked.
 */
export function parseFrameList(value: string): number[] {
  const frames = value.split(',').map((f) => Number(f.trim()));
  if (frames.length === 0 || frames.length > 1000 || frames.some((f) => !Number.isInteger(f) || f < 1))
    throw new AppError('BAD_USER_INPUT', 'frames: expected a comma-separated list of frame numbers from 1');
  return frames;
}

/**
 * What a frames request may get: decoded pixels as application/octet-stream (little-endian, in a multipart/related
 * body, or alone for one frame when only application/octet-stream is acceptable). Compressed frame syntaxes
 * (image/jls, image/jp2...) are not offered: the point of this endpoint is that the browser needs no codecs.
 */
export function frameFormat(accept: string | undefined, count: number): 'multipart' | 'single' | null {
  if (!accept || accept.trim() === '') return 'multipart';
  let single = false;
  for (const range of splitUnquoted(accept, ',')) {
    const { type, params } = parseContentType(range);
    const ts = params['transfer-syntax'];
    const tsOk = ts === undefined || ts === '*' || ts === EXPLICIT_VR_LITTLE_ENDIAN;
    if (type === '*/*' || type === 'multipart/*') return 'multipart';
    if (type === 'multipart/related' && tsOk) {
      const inner = (params['type'] ?? 'application/octet-stream').toLowerCase();
      if (inner === 'application/octet-stream' || inner === '*/*' || inner === 'application/*') return 'multipart';
    }
    if ((type === 'application/octet-stream' || type === 'application/*') && tsOk) single = true;
  }
  if (single) return count === 1 ? 'single' : 'multipart';
  return null;
}

/**
 * Decodes frames of a stored instance to stored values, little-endian (the host order of every platform Node runs
 * on), rows × columns × BitsAllocated/8 bytes each. Compressed syntaxes are decoded on @ich/ml's worker pool.
 */
export async function decodedFrames(
  store: ContentStore,
  storageKey: string,
  frames: readonly number[],
): Promise<Uint8Array[]> {
  const bytes = await store.read(storageKey);
  const parsed = parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!parsed.ok) {
    const colour = parsed.error.code === 'UNSUPPORTED_PHOTOMETRIC' ? nativeColourFrames(bytes, frames) : null;
    if (colour) return colour;
    throw parsed.error;
  }
  const out: Uint8Array[] = [];
  for (const frame of frames) {
    if (frame > parsed.value.attrs.numberOfFrames)
      throw new AppError(
        'NOT_FOUND',
        `frame ${frame} does not exist; the instance has ${parsed.value.attrs.numberOfFrames}`,
      );
    const decoded = await decodeFrame(parsed.value, frame - 1);
    if (!decoded.ok) throw decoded.error;
    out.push(littleEndianBytes(decoded.value.values));
  }
  return out;
}

const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', EXPLICIT_VR_LITTLE_ENDIAN]);

/**
 * Frames of an 8-bit colour image in a native syntax (the product's own summary image, src/results), which the CT
 * decoder refuses: the stored bytes already are the frame PS3.18 serves (interleaved samples, no byte order to
 * fix). Null for anything else (the decoder's refusal stands).
 */
function nativeColourFrames(bytes: Buffer, frames: readonly number[]): Uint8Array[] | null {
  const file = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  const first = (tag: string) => file.dict[tag]?.Value?.[0];
  const syntax = file.meta['00020010']?.Value?.[0];
  const pixels = file.dict['7FE00010']?.Value?.[0];
  if (
    typeof syntax !== 'string' ||
    !NATIVE_SYNTAXES.has(syntax) ||
    first('00280002') !== 3 ||
    first('00280100') !== 8 ||
    first('00280006') !== 0 ||
    !(pixels instanceof ArrayBuffer)
  )
    return null;
  const frameLength = Number(first('00280010')) * Number(first('00280011')) * 3;
  const count = Number(first('00280008') ?? 1) || 1;
  return frames.map((frame) => {
    if (frame > count) throw new AppError('NOT_FOUND', `frame ${frame} does not exist; the instance has ${count}`);
    return new Uint8Array(pixels, (frame - 1) * frameLength, frameLength);
  });
}

function littleEndianBytes(values: StoredArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
