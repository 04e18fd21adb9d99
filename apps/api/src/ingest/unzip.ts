import type { Readable } from 'node:stream';
import { AppError, type ErrorCode } from '@ich/errors';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ContentStore } from '../storage/content-store.js';
import type { IncomingFile, RejectedFile } from './ingest-service.js';

export interface UnzipLimits {
  /** Bytes all entries of this request may expand to in total; an entry that would pass it is refused. */
  budget: { remaining: number };
  /**
   * Largest expansion ratio accepted for an entry over 1 MiB. DICOM deflates ~2–5× (air around the head compresses
   * well); deflate's own maximum is ~1032×, reached only by crafted or degenerate content (zip bombs).
   */
  maxRatio?: number;
  /** Entries per archive. */
  maxEntries?: number;
}

const DEFAULT_MAX_RATIO = 200;
const DEFAULT_MAX_ENTRIES = 20_000;
const RATIO_FLOOR_BYTES = 1024 * 1024;
const ARCHIVE_NAME = /\.(zip|jar|gz|tgz|tar|bz2|xz|7z|rar|zst)$/i;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export const isZipName = (name: string): boolean => /\.zip$/i.test(name);

/**
 * Extracts a zip archive's entries into temporary files, refusing dangerous entries one by one (the rest of the
 * archive still counts): absolute or `..` paths, symbolic links, nested archives, encrypted entries, and entries
 * whose declared size passes the request's budget or whose compression ratio is that of a zip bomb. Sizes are
 * checked before inflating anything and again while inflating (yauzl's validateEntrySizes plus the byte limit of
 * the temporary file), so a lying header cannot expand past the limit either.
 */
export async function extractZip(
  zipPath: string,
  archiveName: string,
  store: ContentStore,
  limits: UnzipLimits,
): Promise<{ files: IncomingFile[]; rejected: RejectedFile[] }> {
  const files: IncomingFile[] = [];
  const rejected: RejectedFile[] = [];
  let zip: ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (error) {
    return {
      files,
      rejected: [
        {
          file: archiveName,
          code: 'BAD_USER_INPUT',
          message: `not a readable zip archive: ${(error as Error).message}`,
        },
      ],
    };
  }
  const maxRatio = limits.maxRatio ?? DEFAULT_MAX_RATIO;
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  try {
    if (zip.entryCount > maxEntries) {
      rejected.push(
        refuse(
          archiveName,
          'PAYLOAD_TOO_LARGE',
          `the archive has ${zip.entryCount} entries; at most ${maxEntries} are read`,
        ),
      );
      return { files, rejected };
    }
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) break;
      const raw = entry.fileName as unknown as Buffer;
      const inner = raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
      const label = `${archiveName}/${inner}`;
      if (inner.endsWith('/')) continue; // a directory
      const problem = entryProblem(entry, inner, limits.budget.remaining, maxRatio);
      if (problem) {
        rejected.push(refuse(label, problem.code, problem.message));
        continue;
      }
      try {
        const stream = await openEntry(zip, entry);
        const temp = await store.writeTemp(stream, Math.min(limits.budget.remaining, entry.uncompressedSize));
        limits.budget.remaining -= temp.sizeBytes;
        files.push({ name: label, temp });
      } catch (error) {
        if ((error as AppError).code === 'STORAGE_FULL') throw error;
        rejected.push(refuse(label, 'BAD_USER_INPUT', `the entry could not be extracted: ${(error as Error).message}`));
      }
    }
  } catch (error) {
    for (const f of files) await store.discard(f.temp);
    if ((error as AppError).code === 'STORAGE_FULL') throw error;
    return {
      files: [],
      rejected: [
        ...rejected,
        refuse(archiveName, 'BAD_USER_INPUT', `the zip archive is damaged: ${(error as Error).message}`),
      ],
    };
  } finally {
    zip.close();
  }
  return { files, rejected };
}

function entryProblem(
  entry: Entry,
  name: string,
  remaining: number,
  maxRatio: number,
): { code: ErrorCode; message: string } | null {
  const unsafe = yauzl.validateFileName(name);
  if (unsafe || name.includes('\0'))
    return { code: 'BAD_USER_INPUT', message: `unsafe entry path (${unsafe ?? 'NUL in the name'}); refused` };
  const unixMode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (unixMode === S_IFLNK) return { code: 'BAD_USER_INPUT', message: 'the entry is a symbolic link; refused' };
  if (entry.isEncrypted()) return { code: 'BAD_USER_INPUT', message: 'the entry is encrypted' };
  if (ARCHIVE_NAME.test(name))
    return { code: 'BAD_USER_INPUT', message: 'nested archives are not extracted; upload the inner archive itself' };
  if (entry.uncompressedSize > remaining)
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `the entry expands to ${entry.uncompressedSize} bytes, past the upload limit`,
    };
  if (
    entry.uncompressedSize > RATIO_FLOOR_BYTES &&
    entry.uncompressedSize > maxRatio * Math.max(1, entry.compressedSize)
  ) {
    const ratio = Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize));
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `the entry expands ${ratio}× (more than ${maxRatio}×): refused as a zip bomb`,
    };
  }
  return null;
}

function refuse(file: string, code: ErrorCode, message: string): RejectedFile {
  return { file, code, message };
}

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      file,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false },
      (error, zip) => (error || !zip ? reject(error ?? new AppError('INTERNAL', 'no zip')) : resolve(zip)),
    );
  });
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) =>
      error || !stream ? reject(error ?? new Error('no stream')) : resolve(stream),
    );
  });
}
