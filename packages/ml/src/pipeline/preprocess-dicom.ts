import { AppError, err, ok, type Result } from '@ich/errors';
import { type DecodeFrameOptions, decodeFrame } from '../decode/decode-frame.js';
import { type ParseOptions, parseDicom } from '../dicom/parse.js';
import { cachedResizePlan, huPlane, resizeWindowInto } from '../tensor/resize-window.js';
import { loadResizeWindowWasm, type WasmResizeWindow } from '../tensor/resize-window-wasm.js';
import { DEFAULT_WINDOWS, type HuWindow } from '../window/windows.js';
import { boundedInflateRaw } from './inflate.js';

export interface PreprocessDicomOptions extends DecodeFrameOptions, ParseOptions {
  /** Model input height and width (square), e.g. 299. */
  readonly size: number;
  /** One channel per window (default DEFAULT_WINDOWS). */
  readonly windows?: readonly HuWindow[];
  readonly frameIndex?: number;
  /** 'auto' (default): the wasm SIMD kernel where it applies, else JavaScript; 'js' forces the JavaScript kernel. */
  readonly kernel?: 'auto' | 'js';
}

let wasm: Promise<WasmResizeWindow | null> | null = null;
let wasmError: string | null = null;

/** Which kernel `preprocessDicomInto` uses for its common case in this process, and why not wasm if not. */
export async function preprocessKernel(): Promise<{ kernel: 'wasm-simd' | 'js'; reason?: string }> {
  return (await wasmKernel()) ? { kernel: 'wasm-simd' } : { kernel: 'js', reason: wasmError ?? 'unknown' };
}

function wasmKernel(): Promise<WasmResizeWindow | null> {
  // A runtime without wasm SIMD (or without the wabt package) keeps the JavaScript kernel: same pixels, slower.
  wasm ??= loadResizeWindowWasm().catch((thrown: unknown) => {
    wasmError = (thrown as Error).message;
    return null;
  });
  return wasm;
}

/**
 * DICOM bytes → one slice of an NHWC batch, fused: parse, decode (uncompressed frames are a view on the bytes),
 * modality rescale per bilinear tap, resize, windows, written at `out[offset…]` — no full-resolution HU or
 * windowed image is made. The pixels are `buildBatch` of `decodeToHounsfield`'s HU (the same kernel,
 * `resizeWindowInto`; its common case — 16-bit stored values, slope 1, three windows, a downscale — runs in the
 * wasm SIMD version of that kernel, `resize-window-wasm.ts`, within 2e-7). Never throws; returns the source rows and
 * columns.
 */
export async function preprocessDicomInto(
  bytes: Uint8Array,
  options: PreprocessDicomOptions,
  out: Float32Array,
  offset: number,
): Promise<Result<{ rows: number; columns: number }>> {
  try {
    const parsed = parseDicom(bytes, { inflateRaw: boundedInflateRaw, ...options });
    if (!parsed.ok) return parsed;
    const stored = await decodeFrame(parsed.value, options.frameIndex ?? 0, options);
    if (!stored.ok) return stored;
    const { rows, columns } = parsed.value.attrs;
    const windows = options.windows ?? DEFAULT_WINDOWS;
    const plane = huPlane(stored.value.values, parsed.value.attrs);
    const plan = cachedResizePlan(rows, columns, options.size, options.size);
    const fast = options.kernel === 'js' ? null : await wasmKernel();
    if (!(fast && !(plane instanceof Float32Array) && fast.run(plane, windows, plan, out, offset)))
      resizeWindowInto(
        windows.map(() => plane),
        windows,
        plan,
        out,
        offset,
      );
    return ok({ rows, columns });
  } catch (thrown) {
    return err(
      thrown instanceof AppError
        ? thrown
        : new AppError('INTERNAL', 'preprocessing failed unexpectedly', undefined, { cause: thrown }),
    );
  }
}
