import { createRequire } from 'node:module';
import { AppError } from '@ich/errors';
import type { PixelCodec } from '../dicom/transfer-syntax.js';
import type { StoredArray } from '../dicom/types.js';
import { storedFromBytes } from './native.js';
import { decodeRleFrame } from './rle.js';

/**
 * Compressed-frame decoders, wrapping maintained codec packages (CharLS, OpenJPEG and libjpeg-turbo compiled to
 * WebAssembly by cornerstonejs; jpeg-lossless-decoder-js for process 14). Node-only (the WASM loaders read their
 * .wasm files from disk). Runs inside the decode worker; call it directly only in tests or tools.
 */
export interface FrameSpec {
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: number;
  /** Container signedness only; sign extension by BitsStored happens in toHounsfield. */
  readonly signed: boolean;
}

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete?(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);
const modules = new Map<string, Promise<WasmModule>>();

function loadWasm(specifier: string): Promise<WasmModule> {
  let loading = modules.get(specifier);
  if (!loading) {
    const factory = require(specifier) as (opts?: object) => Promise<WasmModule>;
    // Emscripten prints aborts to stderr by default; failures are reported through our error codes instead.
    loading = factory({ print: () => undefined, printErr: () => undefined });
    modules.set(specifier, loading);
  }
  return loading;
}

const WASM: Record<'jpeg-ls' | 'jpeg2000' | 'jpeg-baseline', { specifier: string; decoder: string }> = {
  'jpeg-ls': { specifier: '@cornerstonejs/codec-charls/decodewasmjs', decoder: 'JpegLSDecoder' },
  jpeg2000: { specifier: '@cornerstonejs/codec-openjpeg/decodewasmjs', decoder: 'J2KDecoder' },
  'jpeg-baseline': { specifier: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', decoder: 'JPEGDecoder' },
};

/** Decodes one compressed frame to stored values (throws AppError DECODE_FAILED/UNSUPPORTED_PIXEL_FORMAT). */
export async function decodeCompressedFrame(
  codec: PixelCodec,
  frame: Uint8Array,
  spec: FrameSpec,
): Promise<StoredArray> {
  switch (codec) {
    case 'native': {
      const values = storedFromBytes(frame, spec.bitsAllocated, spec.signed, false);
      if (!values) throw new AppError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${spec.bitsAllocated}`);
      return values;
    }
    case 'rle': {
      const r = decodeRleFrame(frame, spec.rows, spec.columns, spec.bitsAllocated, spec.signed);
      if (!r.ok) throw r.error;
      return r.value;
    }
    case 'jpeg-lossless':
      return decodeJpegLossless(frame, spec);
    case 'jpeg-ls':
    case 'jpeg2000':
    case 'jpeg-baseline':
      return decodeWasm(codec, frame, spec);
  }
}

async function decodeJpegLossless(frame: Uint8Array, spec: FrameSpec): Promise<StoredArray> {
  if (spec.bitsAllocated > 16)
    throw new AppError('UNSUPPORTED_PIXEL_FORMAT', `JPEG lossless with BitsAllocated ${spec.bitsAllocated}`);
  // The package ships no type declarations; this is the one method we use.
  const { Decoder } = require('jpeg-lossless-decoder-js') as {
    Decoder: new () => {
      decode(
        buffer: ArrayBufferLike,
        offset: number,
        length: number,
        numBytes: number,
      ): Uint8Array | Uint16Array | Int16Array;
    };
  };
  const bytesPerSample = spec.bitsAllocated <= 8 ? 1 : 2;
  let decoded: ArrayBufferView;
  try {
    // The decoder reads from an ArrayBuffer; give it a private copy so a shared buffer is never touched.
    const copy = new Uint8Array(frame);
    decoded = new Decoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  } catch (thrown) {
    throw new AppError('DECODE_FAILED', `JPEG lossless: ${message(thrown)}`);
  }
  const expected = spec.rows * spec.columns;
  const bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  if (bytes.length < expected * bytesPerSample)
    throw new AppError(
      'DECODE_FAILED',
      `JPEG lossless produced ${bytes.length / bytesPerSample} of ${expected} samples`,
    );
  const values = storedFromBytes(bytes.slice(0, expected * bytesPerSample), bytesPerSample * 8, spec.signed, false);
  if (!values) throw new AppError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${spec.bitsAllocated}`);
  return values;
}

async function decodeWasm(
  codec: 'jpeg-ls' | 'jpeg2000' | 'jpeg-baseline',
  frame: Uint8Array,
  spec: FrameSpec,
): Promise<StoredArray> {
  const { specifier, decoder: name } = WASM[codec];
  const mod = await loadWasm(specifier);
  const Ctor = mod[name];
  if (!Ctor) throw new AppError('DECODE_FAILED', `${name} missing from ${specifier}`);
  const decoder = new Ctor();
  try {
    let info: FrameInfo;
    let decoded: Uint8Array;
    try {
      decoder.getEncodedBuffer(frame.length).set(frame);
      decoder.decode();
      info = decoder.getFrameInfo();
      // The decoded buffer is a view into WASM memory that the next decode overwrites: copy it out.
      decoded = decoder.getDecodedBuffer().slice();
    } catch (thrown) {
      throw new AppError('DECODE_FAILED', `${codec}: ${message(thrown)}`);
    }
    if (info.width !== spec.columns || info.height !== spec.rows) {
      throw new AppError(
        'DECODE_FAILED',
        `${codec} frame is ${info.width}×${info.height}; the header says ${spec.columns}×${spec.rows}`,
      );
    }
    if (info.componentCount !== 1)
      throw new AppError('UNSUPPORTED_PHOTOMETRIC', `${codec} frame has ${info.componentCount} components`);
    const bytesPerSample = info.bitsPerSample <= 8 ? 1 : 2;
    if (bytesPerSample * 8 > spec.bitsAllocated) {
      throw new AppError(
        'DECODE_FAILED',
        `${codec} frame has ${info.bitsPerSample}-bit samples; BitsAllocated is ${spec.bitsAllocated}`,
      );
    }
    const expected = spec.rows * spec.columns * bytesPerSample;
    if (decoded.length < expected)
      throw new AppError('DECODE_FAILED', `${codec} produced ${decoded.length} of ${expected} bytes`);
    const values = storedFromBytes(decoded.subarray(0, expected), bytesPerSample * 8, spec.signed, false);
    if (!values) throw new AppError('UNSUPPORTED_PIXEL_FORMAT', `${info.bitsPerSample}-bit samples`);
    return widen(values, spec.bitsAllocated);
  } finally {
    decoder.delete?.();
  }
}

/** An 8-bit codec output for a 16-bit image (rare, but legal) is widened so callers see one container width. */
function widen(values: StoredArray, bitsAllocated: number): StoredArray {
  if (bitsAllocated === 8 || values.BYTES_PER_ELEMENT > 1) return values;
  return Uint16Array.from(values);
}

function message(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (typeof thrown === 'number') return `codec error ${thrown}`;
  return 'codec failure';
}
