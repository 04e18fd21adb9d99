import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type Result, toAppError } from '@ich/errors';
import { sharedDecodePool } from '../decode/pool.js';
import { groupStudies, type LoadedSlice, type LoadedStudy } from './group-studies.js';
import { decodeToHounsfield, type HounsfieldImageOptions } from './hounsfield-image.js';
import { boundedInflateRaw } from './inflate.js';

export interface LoadStudiesOptions extends Omit<HounsfieldImageOptions, 'frameIndex'> {
  /** Reject non-CT files with NOT_CT (default true here: loading studies is the triage path). */
  readonly requireCt?: boolean;
  /** Called after each file, e.g. to print progress on stderr. */
  readonly onProgress?: (done: number, total: number, path: string) => void;
}

export interface RejectedFile {
  readonly path: string;
  readonly error: AppError;
}

/**
 * Files or folders (recursively) → decoded slices grouped into studies with ordered series. Only frame 0 of each
 * file is loaded (CT series are one frame per file). A bad file is reported in `rejected` and never stops the
 * others. Compressed frames are decoded on the worker pool, several at a time.
 */
export async function loadStudies(
  paths: readonly string[],
  options: LoadStudiesOptions = {},
): Promise<{ studies: LoadedStudy[]; rejected: RejectedFile[] }> {
  const rejected: RejectedFile[] = [];
  const files: string[] = [];
  for (const p of paths) {
    try {
      await collectFiles(p, files);
    } catch (thrown) {
      rejected.push({
        path: p,
        error: new AppError('NOT_FOUND', `cannot read ${p}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`),
      });
    }
  }
  const slices: LoadedSlice[] = [];
  const concurrency = Math.max(2, (options.pool ?? sharedDecodePool()).size * 2);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const path = files[next++] as string;
      const result = await loadSlice(path, options);
      if (result.ok) slices.push(result.value);
      else rejected.push({ path, error: result.error });
      done += 1;
      options.onProgress?.(done, files.length, path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { studies: groupStudies(slices), rejected };
}

/** One file → one slice (frame 0). */
export async function loadSlice(path: string, options: LoadStudiesOptions = {}): Promise<Result<LoadedSlice>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (thrown) {
    return {
      ok: false,
      error: new AppError('NOT_FOUND', `cannot read ${path}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`),
    };
  }
  const image = await decodeToHounsfield(bytes, {
    inflateRaw: boundedInflateRaw,
    ...options,
    requireCt: options.requireCt ?? true,
    frameIndex: 0,
  });
  if (!image.ok) return { ok: false, error: toAppError(image.error) };
  const { attrs, hu } = image.value;
  return {
    ok: true,
    value: {
      source: path,
      sopInstanceUid: attrs.sopInstanceUid,
      seriesInstanceUid: attrs.seriesInstanceUid,
      instanceNumber: attrs.instanceNumber,
      rows: attrs.rows,
      columns: attrs.columns,
      imagePositionPatient: attrs.imagePositionPatient,
      imageOrientationPatient: attrs.imageOrientationPatient,
      attrs,
      hu,
    },
  };
}

/** Files under a path (itself when a file), sorted, without hidden files and sidecars (csv, json, png…). */
export async function collectFiles(path: string, out: string[]): Promise<void> {
  const info = await stat(path);
  if (info.isFile()) {
    out.push(path);
    return;
  }
  if (!info.isDirectory()) return;
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    // Hidden files and the sidecars that travel with studies (manifests, label sheets, previews) are not DICOM.
    if (e.name.startsWith('.') || /\.(csv|json|txt|md|png|jpg)$/i.test(e.name)) continue;
    const child = join(path, e.name);
    if (e.isDirectory()) await collectFiles(child, out);
    else if (e.isFile()) out.push(child);
  }
}
