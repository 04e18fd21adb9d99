import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AppError } from '@ich/errors';
import { parseDicom } from '../dicom/parse.js';
import type { DicomAttributes } from '../dicom/types.js';
import { boundedInflateRaw } from '../pipeline/inflate.js';
import { listFiles } from '../pipeline/load-studies.js';
import { imageKey, type LabelTable } from './label-table.js';

/**
 * The header index of a training folder: one line per DICOM file with the identifiers a split and a context window
 * need. The RSNA CSV names images only, never patients, so PatientID (and study, series, position) are read from
 * the headers once and kept in a JSON-lines file beside the data; later runs read the index instead of every header.
 */
export const INDEX_FORMAT = 'ich-dataset-index/1';

export interface IndexedImage {
  /** Image key (see imageKey): what the labels CSV calls the image. */
  readonly id: string;
  /** Path relative to the data folder. */
  readonly file: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Position along the slice normal (mm), or the instance number when the geometry is missing. */
  readonly position: number;
}

/** An indexed image with its labels and its neighbours in the series (for 3-slice context). */
export interface DatasetImage extends IndexedImage {
  readonly labels: Float64Array;
  /** Files of the previous and next slice in the series (the image's own file at the ends). */
  readonly previous: string;
  readonly next: string;
}

export interface BuildIndexOptions {
  /** Where the index lives (default `<data>/.ich-index.jsonl`); reused when newer than the folder. */
  readonly indexFile?: string;
  /** Rebuild even when an index exists. */
  readonly rebuild?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function buildDatasetIndex(
  dataDir: string,
  options: BuildIndexOptions = {},
): Promise<{ images: IndexedImage[]; skipped: number; indexFile: string; reused: boolean }> {
  const indexFile = options.indexFile ?? join(dataDir, '.ich-index.jsonl');
  if (!options.rebuild) {
    const existing = await readIndex(indexFile, dataDir);
    if (existing) return { images: existing, skipped: 0, indexFile, reused: true };
  }
  let files: string[];
  let unreadable: number;
  try {
    const listed = await listFiles([dataDir]);
    files = listed.files;
    // Broken links, FIFOs and devices are not images: counted with the skipped files, never read.
    unreadable = listed.rejected.length;
  } catch (thrown) {
    throw new AppError(
      'BAD_USER_INPUT',
      `cannot read ${dataDir}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const images: IndexedImage[] = [];
  let skipped = unreadable;
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    const parsed = parseDicom(await readFile(path), { inflateRaw: boundedInflateRaw });
    if (parsed.ok) {
      const a = parsed.value.attrs;
      images.push({
        id: imageKey(a.sopInstanceUid),
        file: relative(dataDir, path),
        patientId: a.patientId,
        studyInstanceUid: a.studyInstanceUid,
        seriesInstanceUid: a.seriesInstanceUid,
        position: slicePosition(a),
      });
    } else skipped++;
    options.onProgress?.(i + 1, files.length);
  }
  const header = { format: INDEX_FORMAT, files: images.length, skipped };
  await writeFile(indexFile, `${[header, ...images].map((o) => JSON.stringify(o)).join('\n')}\n`);
  return { images, skipped, indexFile, reused: false };
}

async function readIndex(indexFile: string, dataDir: string): Promise<IndexedImage[] | null> {
  let text: string;
  try {
    const [index, data] = await Promise.all([stat(indexFile), stat(dataDir)]);
    // A folder changed after the index was written (files added or removed) needs a new index.
    if (index.mtimeMs < data.mtimeMs) return null;
    text = await readFile(indexFile, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const header = JSON.parse(lines[0] ?? '{}') as { format?: string; files?: number };
  if (header.format !== INDEX_FORMAT || header.files !== lines.length - 1) return null;
  return lines.slice(1).map((l) => JSON.parse(l) as IndexedImage);
}

/** Position along the slice normal (row × column direction), so slices order by anatomy, not by file name. */
export function slicePosition(
  a: Pick<DicomAttributes, 'imagePositionPatient' | 'imageOrientationPatient' | 'instanceNumber'>,
): number {
  const p = a.imagePositionPatient;
  const o = a.imageOrientationPatient;
  if (p && o) {
    const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    return p[0] * n[0]! + p[1] * n[1]! + p[2] * n[2]!;
  }
  if (p) return p[2];
  return a.instanceNumber ?? 0;
}

/**
 * Joins the index with the labels: images without a label are left out (counted), and each image learns its
 * neighbours in its series for 3-slice context.
 */
export function joinLabels(
  images: readonly IndexedImage[],
  labels: LabelTable,
): { dataset: DatasetImage[]; unlabelled: number; missingFiles: number } {
  const bySeries = new Map<string, IndexedImage[]>();
  for (const im of images) {
    const list = bySeries.get(im.seriesInstanceUid) ?? [];
    list.push(im);
    bySeries.set(im.seriesInstanceUid, list);
  }
  const dataset: DatasetImage[] = [];
  let unlabelled = 0;
  const seen = new Set<string>();
  for (const list of bySeries.values()) {
    list.sort((a, b) => a.position - b.position);
    list.forEach((im, i) => {
      const row = labels.get(im.id);
      if (!row) {
        unlabelled++;
        return;
      }
      seen.add(im.id);
      dataset.push({
        ...im,
        labels: row.values,
        previous: (list[i - 1] ?? im).file,
        next: (list[i + 1] ?? im).file,
      });
    });
  }
  let missingFiles = 0;
  for (const id of labels.keys()) if (!seen.has(id)) missingFiles++;
  dataset.sort((a, b) => a.file.localeCompare(b.file));
  return { dataset, unlabelled, missingFiles };
}
