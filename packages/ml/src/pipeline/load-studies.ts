import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type Result, toAppError } from '@ich/errors';
import { sharedDecodePool } from '../decode/pool.js';
import { parseDicom } from '../dicom/parse.js';
import { groupStudies, type LoadedSlice, type LoadedStudy } from './group-studies.js';
import { decodeToHounsfield, type HounsfieldImageOptions } from './hounsfield-image.js';
import { boundedInflateRaw } from './inflate.js';

export interface LoadStudiesOptions extends Omit<HounsfieldImageOptions, 'frameIndex'> {
  /** Reject non-CT files with NOT_CT (default true here: loading studies is the triage path). */
  readonly requireCt?: boolean;
  /** Called after each file, e.g. to print progress on stderr. */
  readonly onProgress?: (done: number, total: number, path: string) => void;
  /** Most decoded pixels kept over all loaded slices (default MAX_LOADED_PIXELS). */
  readonly maxLoadedPixels?: number;
  /** Most slices kept per study (default MAX_SLICES_PER_STUDY). */
  readonly maxSlicesPerStudy?: number;
}

/**
 * Bounds on what one loadStudies call keeps in memory: every loaded slice's HU values stay until inference, so 80
 * small files each claiming 4096² had taken 5.6 GB. Slices past a bound are rejected with FILE_TOO_LARGE, never
 * dropped in silence. 2^27 pixels is 512 MiB of float32 HU: 512 slices of 512², 128 of 1024². Callers with many
 * studies load one study at a time (filesByStudy), so the bound applies to each study, not to a whole dataset.
 */
export const MAX_LOADED_PIXELS = 2 ** 27;
/** A head CT has at most a few hundred axial slices; thin-slice series reach about 1,000. */
export const MAX_SLICES_PER_STUDY = 2048;

export interface RejectedFile {
  readonly path: string;
  readonly error: AppError;
}

/** A DICOM file larger than this is refused before it is read (a CT slice is well under 10 MB; a frame dump is not). */
export const MAX_DICOM_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Files or folders (recursively) → decoded slices grouped into studies with ordered series. Only frame 0 of each
 * file is loaded (CT series are one frame per file). A bad file is reported in `rejected` and never stops the
 * others. Compressed frames are decoded on the worker pool, several at a time. Symbolic links are followed (a folder
 * reached twice, e.g. through a link loop, is read once); anything that is not a regular file or folder (FIFO,
 * socket, device) and any broken link is reported in `rejected`, never skipped silently: a study missing slices
 * must not get a triage result without a word.
 */
export async function loadStudies(
  paths: readonly string[],
  options: LoadStudiesOptions = {},
): Promise<{ studies: LoadedStudy[]; rejected: RejectedFile[] }> {
  const { files, rejected } = await listFiles(paths);
  const slices: LoadedSlice[] = [];
  const maxPixels = options.maxLoadedPixels ?? MAX_LOADED_PIXELS;
  const maxPerStudy = options.maxSlicesPerStudy ?? MAX_SLICES_PER_STUDY;
  let loadedPixels = 0;
  const perStudy = new Map<string, number>();
  // Checked after each decode: at most `concurrency` slices beyond the bound exist at once, and they are dropped.
  const keep = (slice: LoadedSlice): AppError | null => {
    const study = slice.attrs.studyInstanceUid;
    const count = perStudy.get(study) ?? 0;
    if (count >= maxPerStudy)
      return new AppError(
        'FILE_TOO_LARGE',
        `study ${study} has more than ${maxPerStudy} slices; the rest are not read`,
      );
    if (loadedPixels + slice.hu.length > maxPixels)
      return new AppError(
        'FILE_TOO_LARGE',
        `the slices read so far hold ${loadedPixels} pixels; more than ${maxPixels} at once are not kept`,
      );
    perStudy.set(study, count + 1);
    loadedPixels += slice.hu.length;
    return null;
  };
  const concurrency = Math.max(2, (options.pool ?? sharedDecodePool()).size * 2);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const path = files[next++] as string;
      const result = await loadSlice(path, options);
      const refused = result.ok ? keep(result.value) : result.error;
      if (refused) rejected.push({ path, error: refused });
      else if (result.ok) slices.push(result.value);
      done += 1;
      options.onProgress?.(done, files.length, path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { studies: groupStudies(slices), rejected };
}

/**
 * The files under `paths` grouped by the StudyInstanceUID in their headers, read without decoding pixels, so a
 * caller can load and analyze one study at a time with loadStudies (whose memory bound then holds per study). Files
 * whose header cannot be read go in a group of their own (key ''), where loadStudies reports each with its code.
 */
export async function filesByStudy(
  paths: readonly string[],
): Promise<{ groups: Map<string, string[]>; rejected: RejectedFile[] }> {
  const { files, rejected } = await listFiles(paths);
  const groups = new Map<string, string[]>();
  for (const path of files) {
    const read = await readDicomFile(path);
    const parsed = read.ok ? parseDicom(read.value, { inflateRaw: boundedInflateRaw }) : null;
    const key = parsed?.ok ? parsed.value.attrs.studyInstanceUid : '';
    const group = groups.get(key);
    if (group) group.push(path);
    else groups.set(key, [path]);
  }
  return { groups, rejected };
}

/** One file → one slice (frame 0). */
export async function loadSlice(path: string, options: LoadStudiesOptions = {}): Promise<Result<LoadedSlice>> {
  const read = await readDicomFile(path);
  if (!read.ok) return read;
  const bytes = read.value;
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

/**
 * Reads one file that must be a regular file of at most `maxBytes`. Opened non-blocking and checked on the open
 * descriptor, so a FIFO cannot hang the reader and a device (/dev/zero) cannot be read without end, even if the path
 * was swapped after it was listed.
 */
export async function readDicomFile(path: string, maxBytes = MAX_DICOM_FILE_BYTES): Promise<Result<Uint8Array>> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (thrown) {
    return { ok: false, error: unreadable(path, thrown) };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return {
        ok: false,
        error: new AppError('BAD_USER_INPUT', `${path} is a ${kindOf(info)}, not a regular file; it was not read`),
      };
    if (info.size > maxBytes)
      return {
        ok: false,
        error: new AppError(
          'FILE_TOO_LARGE',
          `${path} is ${info.size} bytes; a DICOM file over ${maxBytes} bytes is not read (decode frames one by one)`,
        ),
      };
    const bytes = new Uint8Array(info.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { ok: true, value: offset === bytes.length ? bytes : bytes.subarray(0, offset) };
  } catch (thrown) {
    return { ok: false, error: unreadable(path, thrown) };
  } finally {
    await handle.close();
  }
}

function unreadable(path: string, thrown: unknown): AppError {
  return new AppError('NOT_FOUND', `cannot read ${path}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`);
}

function kindOf(info: Awaited<ReturnType<typeof stat>>): string {
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  return 'special file';
}

/**
 * The regular files under these paths (each path itself when it is a file), with the same link and special-file rules
 * as loadStudies: what cannot be read as a file is in `rejected`, never dropped without a word.
 */
export async function listFiles(
  paths: readonly string[],
  options: { skipSidecars?: boolean } = {},
): Promise<{ files: string[]; rejected: RejectedFile[] }> {
  const rejected: RejectedFile[] = [];
  const files: string[] = [];
  const seenFolders = new Set<string>();
  const seenFiles = new Set<string>();
  const skip = options.skipSidecars ?? true;
  for (const p of paths) await collectFiles(p, files, rejected, seenFolders, seenFiles, skip);
  return { files, rejected };
}

async function collectFiles(
  path: string,
  out: string[],
  rejected: RejectedFile[],
  seenFolders: Set<string>,
  seenFiles: Set<string>,
  skipSidecars: boolean,
): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  let real: string;
  try {
    // stat and realpath follow symbolic links: a linked slice counts like any other, a broken link is reported.
    info = await stat(path);
    real = await realpath(path);
  } catch (thrown) {
    rejected.push({ path, error: unreadable(path, thrown) });
    return;
  }
  if (info.isFile()) {
    // The same file reached twice (named twice, or through a link) is one slice, not two.
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    out.push(path);
    return;
  }
  if (!info.isDirectory()) {
    rejected.push({
      path,
      error: new AppError('BAD_USER_INPUT', `${path} is a ${kindOf(info)}, not a regular file; it was not read`),
    });
    return;
  }
  // Loop protection: a folder reached again through a link (or named twice) is not read again.
  if (seenFolders.has(real)) return;
  seenFolders.add(real);
  let names: string[];
  try {
    names = (await readdir(path)).sort((a, b) => a.localeCompare(b));
  } catch (thrown) {
    rejected.push({ path, error: unreadable(path, thrown) });
    return;
  }
  for (const name of names) {
    // Hidden files and the sidecars that travel with studies (manifests, label sheets, previews) are not DICOM.
    if (skipSidecars && (name.startsWith('.') || /\.(csv|json|txt|md|png|jpg)$/i.test(name))) continue;
    await collectFiles(join(path, name), out, rejected, seenFolders, seenFiles, skipSidecars);
  }
}
