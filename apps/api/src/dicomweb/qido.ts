import { AppError } from '@ich/errors';
import type { Prisma } from '@ich/prisma';
import type { DicomJson } from './dicom-json.js';
import { type IncludeFields, NO_INCLUDE_FIELDS, parseIncludeFields } from './include-fields.js';

/**
 * QIDO-RS (PS3.18 10.6) over the database, not the files: the attributes the product records for studies, series
 * and instances. Match keys may be given by keyword or by tag (e.g. `PatientID` or `00100020`); `*` wildcards
 * (leading, trailing or both) and DA ranges (`20240101-20241231`) are supported; UID keys take a comma list.
 */
export type Level = 'study' | 'series' | 'instance';

const KEYWORDS: Record<string, string> = {
  '0020000D': 'StudyInstanceUID',
  '00100020': 'PatientID',
  '00100010': 'PatientName',
  '00080050': 'AccessionNumber',
  '00080020': 'StudyDate',
  '00081030': 'StudyDescription',
  '00080061': 'ModalitiesInStudy',
  '00080060': 'Modality',
  '0020000E': 'SeriesInstanceUID',
  '00200011': 'SeriesNumber',
  '0008103E': 'SeriesDescription',
  '00080018': 'SOPInstanceUID',
  '00080016': 'SOPClassUID',
  '00200013': 'InstanceNumber',
};

const MATCH_KEYS: Record<Level, readonly string[]> = {
  study: [
    'StudyInstanceUID',
    'PatientID',
    'PatientName',
    'AccessionNumber',
    'StudyDate',
    'StudyDescription',
    'ModalitiesInStudy',
  ],
  series: ['SeriesInstanceUID', 'Modality', 'SeriesNumber', 'SeriesDescription'],
  instance: ['SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'],
};

const CONTROL = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);
export const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

export interface QidoQuery {
  match: Record<string, string>;
  limit: number;
  offset: number;
  /** `includefield`: attributes wanted beyond the default return set (include-fields.ts). */
  include: IncludeFields;
  /** Parameters that are not supported here (ignored, as PS3.18 allows, and named in a Warning header). */
  ignored: string[];
}

/** Reads QIDO query parameters for a level; a malformed limit/offset or date is BAD_USER_INPUT. */
export function parseQido(query: Record<string, unknown>, level: Level): QidoQuery {
  const match: Record<string, string> = {};
  const ignored: string[] = [];
  let limit = DEFAULT_LIMIT;
  let offset = 0;
  let include = NO_INCLUDE_FIELDS;
  for (const [rawKey, rawValue] of Object.entries(query)) {
    const value = Array.isArray(rawValue) ? rawValue.join(',') : String(rawValue ?? '');
    if (CONTROL.has(rawKey)) {
      if (rawKey === 'limit') limit = integer(value, 'limit', 1, MAX_LIMIT);
      if (rawKey === 'offset') offset = integer(value, 'offset', 0, 1_000_000);
      if (rawKey === 'includefield') {
        include = parseIncludeFields([value]);
        ignored.push(...include.unknown.map((name) => `includefield=${name}`));
      }
      continue;
    }
    const key = KEYWORDS[rawKey.toUpperCase()] ?? rawKey;
    if (MATCH_KEYS[level].includes(key) || (level !== 'study' && MATCH_KEYS.study.includes(key))) {
      if (value !== '') match[key] = value;
    } else ignored.push(rawKey);
  }
  return { match, limit, offset, include, ignored };
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AppError('BAD_USER_INPUT', `${name}: must be an integer in ${min}..${max}`, { parameter: name });
  return n;
}

/** `*` wildcards as Prisma string filters; other values match exactly. */
function text(value: string): Prisma.StringFilter | string {
  if (!value.includes('*')) return value;
  const core = value.replace(/^\*+|\*+$/g, '');
  if (core.includes('*') || core.includes('?')) return { contains: core.split(/[*?]/)[0] ?? '' };
  if (core === '') return { contains: '' };
  if (value.startsWith('*') && value.endsWith('*')) return { contains: core };
  if (value.startsWith('*')) return { endsWith: core };
  return { startsWith: core };
}

const uids = (value: string) => ({
  in: value
    .split(/[,\\]/)
    .map((u) => u.trim())
    .filter(Boolean),
});

function dateRange(value: string): Prisma.DateTimeNullableFilter {
  const m = /^(\d{8})?(-)?(\d{8})?$/.exec(value.trim());
  if (!m || (!m[1] && !m[3]))
    throw new AppError('BAD_USER_INPUT', 'StudyDate: expected YYYYMMDD or a range YYYYMMDD-YYYYMMDD');
  const day = (d: string, end: boolean) =>
    new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)) + (end ? 1 : 0)));
  if (!m[2]) return { gte: day(m[1] as string, false), lt: day(m[1] as string, true) };
  return { ...(m[1] ? { gte: day(m[1], false) } : {}), ...(m[3] ? { lt: day(m[3], true) } : {}) };
}

export function studyWhere(match: Record<string, string>): Prisma.StudyWhereInput {
  const and: Prisma.StudyWhereInput[] = [];
  for (const [key, value] of Object.entries(match)) {
    if (key === 'StudyInstanceUID') and.push({ studyInstanceUid: uids(value) });
    if (key === 'PatientID') and.push({ patient: { is: { patientId: text(value) } } });
    if (key === 'PatientName') and.push({ patient: { is: { name: text(value) } } });
    if (key === 'AccessionNumber') and.push({ accessionNumber: text(value) });
    if (key === 'StudyDescription') and.push({ description: text(value) });
    if (key === 'StudyDate') and.push({ studyDate: dateRange(value) });
    if (key === 'ModalitiesInStudy') and.push({ series: { some: { modality: { in: value.split(/[,\\]/) } } } });
  }
  return { AND: and };
}

export function seriesWhere(match: Record<string, string>): Prisma.SeriesWhereInput {
  const and: Prisma.SeriesWhereInput[] = [];
  for (const [key, value] of Object.entries(match)) {
    if (key === 'SeriesInstanceUID') and.push({ seriesInstanceUid: uids(value) });
    if (key === 'Modality') and.push({ modality: value });
    if (key === 'SeriesNumber') and.push({ seriesNumber: integer(value, 'SeriesNumber', -(2 ** 31), 2 ** 31 - 1) });
    if (key === 'SeriesDescription') and.push({ description: text(value) });
  }
  return { AND: and };
}

export function instanceWhere(match: Record<string, string>): Prisma.InstanceWhereInput {
  const and: Prisma.InstanceWhereInput[] = [];
  for (const [key, value] of Object.entries(match)) {
    if (key === 'SOPInstanceUID') and.push({ sopInstanceUid: uids(value) });
    if (key === 'SOPClassUID') and.push({ sopClassUid: uids(value) });
    if (key === 'InstanceNumber')
      and.push({ instanceNumber: integer(value, 'InstanceNumber', -(2 ** 31), 2 ** 31 - 1) });
  }
  return { AND: and };
}

// DICOM JSON builders. Empty values are sent as attributes without a Value, as PS3.18 F.2.5 requires for
// attributes present but empty.

export function el(vr: string, value: string | number | null | undefined): DicomJson[string] {
  if (value === null || value === undefined || value === '') return { vr };
  if (vr === 'PN') return { vr, Value: [{ Alphabetic: String(value) }] };
  return { vr, Value: [value] };
}

export function da(date: Date | null): string | null {
  if (!date) return null;
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

export function tm(date: Date | null): string | null {
  if (!date) return null;
  return date.toISOString().slice(11, 19).replaceAll(':', '');
}
