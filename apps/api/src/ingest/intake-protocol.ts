import { AppError, err, isErrorCode, ok, type Result } from '@ich/errors';
import type { DicomAttributes } from '@ich/ml/browser';
import type { TempFile } from '../storage/content-store.js';

/** The messages between IntakePool and its threads. */

/** What a thread is started with. */
export interface IntakeWorkerData {
  storageDir: string;
}

/**
 * To a thread: a file's bytes are the first `length` bytes of `buffer`, moved (transferred) to the thread, which
 * moves it back with its answer so the pool can use it again.
 */
export interface IntakeRequest {
  id: number;
  buffer: ArrayBuffer;
  length: number;
}

/** Errors cross as code + message: structured clone keeps neither an AppError's class nor its code. */
export type WireResult = { ok: true; value: DicomAttributes } | { ok: false; code: string; message: string };

export type IntakeResponse = { id: number; buffer: ArrayBuffer } & (
  | { ok: true; temp: TempFile; parsed: WireResult; storageKey?: string }
  | { ok: false; code: string; message: string }
);

export function toWire(parsed: Result<DicomAttributes>): WireResult {
  return parsed.ok ? parsed : { ok: false, code: parsed.error.code, message: parsed.error.message };
}

export function fromWire(parsed: WireResult): Result<DicomAttributes> {
  if (parsed.ok) return ok(parsed.value);
  return err(isErrorCode(parsed.code) ? new AppError(parsed.code, parsed.message) : new AppError('INTERNAL'));
}

/** A thrown AppError comes back as itself; anything else as a plain Error, which the API reports as INTERNAL. */
export function rebuildError(code: string, message: string): Error {
  return code !== 'INTERNAL' && isErrorCode(code) ? new AppError(code, message) : new Error(message);
}

export function errorToWire(id: number, buffer: ArrayBuffer, error: unknown): IntakeResponse {
  return {
    id,
    buffer,
    ok: false,
    code: error instanceof AppError ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  };
}
