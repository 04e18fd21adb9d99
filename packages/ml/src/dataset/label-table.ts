import { readFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { isLabel, LABELS, type Label } from '../labels.js';

/**
 * Per-image labels (or predicted probabilities) read from either layout the project meets:
 *
 * - RSNA/Kaggle long form: header `ID,Label`, one row per image and subtype, `ID_<hex>_<subtype>`. In the RSNA data
 *   the SOPInstanceUID itself is `ID_<hex>`, so the image key is everything before the last `_<subtype>`.
 * - Wide form (`ich-ml synth`'s labels.csv, prediction exports): one row per image with a column per label and an
 *   image column (`sopInstanceUid` or `ID`), optionally `studyInstanceUid`, `file` and `patientId`.
 *
 * Image keys are normalised by `imageKey()` so a synthetic SOP UID (`1.2.826…`) and its long-form ID
 * (`ID_1.2.826…_any`) meet.
 */
export interface LabelRow {
  /** Normalised image key (see imageKey). */
  readonly id: string;
  /** One value per label in LABELS order: 0/1 truth, or a probability. */
  readonly values: Float64Array;
  readonly studyInstanceUid?: string;
  readonly patientId?: string;
  /** Path relative to the CSV's data folder, when the CSV names it. */
  readonly file?: string;
}

export type LabelTable = Map<string, LabelRow>;

/** The image key of a SOPInstanceUID: RSNA's own UIDs start with `ID_`; others get that prefix. */
export function imageKey(sopInstanceUid: string): string {
  return sopInstanceUid.startsWith('ID_') ? sopInstanceUid : `ID_${sopInstanceUid}`;
}

/** The Kaggle long-form row ID of one image and label. */
export function longFormId(sopInstanceUid: string, label: Label): string {
  return `${imageKey(sopInstanceUid)}_${label}`;
}

export interface ReadLabelOptions {
  /** 'truth' demands 0/1 values; 'probability' accepts any value in [0, 1]. */
  readonly kind: 'truth' | 'probability';
}

export async function readLabelTable(path: string, options: ReadLabelOptions): Promise<LabelTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (thrown) {
    throw new AppError('BAD_USER_INPUT', `cannot read ${path}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseLabelTable(text, path, options);
}

export function parseLabelTable(text: string, source: string, options: ReadLabelOptions): LabelTable {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const fail = (line: number, why: string): never => {
    throw new AppError('BAD_USER_INPUT', `${source}:${line}: ${why}`);
  };
  const value = (raw: string | undefined, line: number, what: string): number => {
    const v = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1)
      return fail(line, `${what} must be a number in [0, 1], got "${raw ?? ''}"`);
    if (options.kind === 'truth' && v !== 0 && v !== 1) return fail(line, `${what} must be 0 or 1, got "${raw}"`);
    return v;
  };
  const table: LabelTable = new Map();

  if (header.length === 2 && header[0] === 'ID' && header[1] === 'Label') {
    const seen = new Map<string, Uint8Array>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      const [id, raw] = splitCsvLine(line);
      const cut = id?.lastIndexOf('_') ?? -1;
      const subtype = cut > 0 ? id!.slice(cut + 1) : '';
      if (!id || cut <= 0 || !isLabel(subtype))
        fail(i + 1, `ID must be <image>_<subtype> with subtype one of ${LABELS.join(', ')}; got "${id ?? ''}"`);
      const key = imageKey(id!.slice(0, cut));
      const k = LABELS.indexOf(subtype as Label);
      const v = value(raw, i + 1, id!);
      let row = table.get(key);
      if (!row) {
        row = { id: key, values: new Float64Array(LABELS.length) };
        table.set(key, row);
        seen.set(key, new Uint8Array(LABELS.length));
      }
      const flags = seen.get(key)!;
      // stage_2_train.csv repeats some rows verbatim; a repeat is harmless, a contradiction is not.
      if (flags[k] && row.values[k] !== v) fail(i + 1, `${id} appears twice with different values`);
      flags[k] = 1;
      row.values[k] = v;
    }
    for (const [key, flags] of seen) {
      const missing = LABELS.filter((_, k) => !flags[k]);
      if (missing.length > 0) fail(0, `image ${key} has no row for ${missing.join(', ')}`);
    }
    return table;
  }

  const col = (names: string[]): number => header.findIndex((h) => names.includes(h));
  const idCol = col(['sopInstanceUid', 'SOPInstanceUID', 'ID', 'id', 'image']);
  if (idCol < 0)
    fail(1, 'header must be "ID,Label" (RSNA long form) or name an image column (sopInstanceUid or ID) and the labels');
  const labelCols = LABELS.map((l) => header.indexOf(l));
  const missing = LABELS.filter((_, k) => labelCols[k]! < 0);
  if (missing.length > 0) fail(1, `wide-form header lacks the label column(s) ${missing.join(', ')}`);
  const studyCol = col(['studyInstanceUid', 'StudyInstanceUID']);
  const patientCol = col(['patientId', 'PatientID']);
  const fileCol = col(['file']);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cells = splitCsvLine(line);
    const raw = cells[idCol]?.trim();
    if (!raw) fail(i + 1, 'empty image ID');
    const key = imageKey(raw!);
    if (table.has(key)) fail(i + 1, `image ${raw} appears twice`);
    const values = new Float64Array(LABELS.length);
    LABELS.forEach((l, k) => {
      values[k] = value(cells[labelCols[k]!], i + 1, l);
    });
    table.set(key, {
      id: key,
      values,
      ...(studyCol >= 0 && cells[studyCol] ? { studyInstanceUid: cells[studyCol] } : {}),
      ...(patientCol >= 0 && cells[patientCol] ? { patientId: cells[patientCol] } : {}),
      ...(fileCol >= 0 && cells[fileCol] ? { file: cells[fileCol] } : {}),
    });
  }
  return table;
}

/** Splits one CSV line; double-quoted cells may contain commas and doubled quotes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** Writes rows in the Kaggle long form (`ID,Label`, six rows per image in LABELS order). */
export function formatLongForm(
  rows: Iterable<{ readonly sopInstanceUid: string; readonly values: ArrayLike<number> }>,
) {
  const out = ['ID,Label'];
  for (const row of rows)
    LABELS.forEach((l, k) => {
      out.push(`${longFormId(row.sopInstanceUid, l)},${row.values[k]}`);
    });
  return `${out.join('\n')}\n`;
}
