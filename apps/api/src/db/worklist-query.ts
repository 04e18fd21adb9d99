import type { ModelVersionRecord, PatientRecord, StudyPredictionRecord, StudyRecord } from './records.js';
import type { SqlReader } from './sql-reader.js';

/**
 * The worklist page as one SQL statement: the studies of the page (keyset after a cursor, filtered, ordered), each
 * with its patient, its latest prediction (newest createdAt, then id, as the `latestPredictionByStudyId` loader
 * picks it) and that prediction's model version. The semantics are those of the Prisma query in StudyService.list
 * (same comparisons, same LIKE/ILIKE patterns, same ordering and tie-breaks); an integration test compares the two
 * paths row by row on both databases.
 */

export type WorklistOrder = 'PRIORITY' | 'RECEIVED_DESC' | 'RECEIVED_ASC';

/** Filters as the service has validated them; text patterns are already escaped for the provider (containsText). */
export interface WorklistFilter {
  status?: readonly string[];
  triage?: boolean;
  reviewed?: boolean;
  /** Substring of Study.positiveLabels. */
  labelContains?: string;
  from?: Date;
  to?: Date;
  /** Substring of the patient's name or ID, the accession number or the description. */
  searchContains?: string;
}

/** The keyset position of the last row served (decoded from a cursor): rows strictly after it. */
export interface WorklistPosition {
  priority?: number;
  receivedAt: Date;
  id: string;
}

export interface WorklistPageQuery {
  filter: WorklistFilter;
  order: WorklistOrder;
  after: WorklistPosition | null;
  /** Rows to fetch (the service asks for one more than the page to learn whether a next page exists). */
  limit: number;
}

export interface WorklistRow {
  study: StudyRecord;
  patient: PatientRecord;
  prediction: StudyPredictionRecord | null;
  modelVersion: ModelVersionRecord | null;
}

type Kind = 'text' | 'number' | 'bool' | 'date';

// Every scalar column of each model, in select order. `satisfies` makes the lists exhaustive: a column added to the
// schema fails type-checking here until it is read, so the records handed to resolvers are always complete.
const STUDY = {
  id: 'text',
  studyInstanceUid: 'text',
  patientId: 'text',
  accessionNumber: 'text',
  studyDate: 'date',
  description: 'text',
  status: 'text',
  triage: 'bool',
  priority: 'number',
  anyScore: 'number',
  positiveLabels: 'text',
  reviewed: 'bool',
  instanceCount: 'number',
  notEligibleReason: 'text',
  lastInstanceAt: 'date',
  receivedAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof StudyRecord, Kind>;

const PATIENT = {
  id: 'text',
  patientId: 'text',
  issuer: 'text',
  name: 'text',
  birthDate: 'text',
  sex: 'text',
  createdAt: 'date',
} as const satisfies Record<keyof PatientRecord, Kind>;

const PREDICTION = {
  id: 'text',
  studyId: 'text',
  modelVersionId: 'text',
  jobId: 'text',
  any: 'number',
  epidural: 'number',
  intraparenchymal: 'number',
  intraventricular: 'number',
  subarachnoid: 'number',
  subdural: 'number',
  triage: 'bool',
  engine: 'text',
  durationMs: 'number',
  createdAt: 'date',
} as const satisfies Record<keyof StudyPredictionRecord, Kind>;

const MODEL_VERSION = {
  id: 'text',
  name: 'text',
  version: 'text',
  card: 'text',
  directory: 'text',
  weightsHash: 'text',
  active: 'bool',
  createdAt: 'date',
} as const satisfies Record<keyof ModelVersionRecord, Kind>;

interface Table {
  alias: string;
  names: string[];
  kinds: Kind[];
}

const table = (alias: string, columns: Record<string, Kind>): Table => ({
  alias,
  names: Object.keys(columns),
  kinds: Object.values(columns),
});

const TABLES = {
  study: table('s', STUDY),
  patient: table('p', PATIENT),
  prediction: table('sp', PREDICTION),
  modelVersion: table('mv', MODEL_VERSION),
};

const SELECT_LIST = Object.values(TABLES)
  .flatMap((t) => t.names.map((n) => `${t.alias}."${n}"`))
  .join(', ');

/**
 * SQLite keeps DateTime as text (Prisma's adapter writes ISO 8601 with `+00:00`) and compares it as text, so a date
 * parameter must be in exactly that form; PostgreSQL's timestamp(3) holds UTC wall-clock time without a zone, so the
 * parameter is that wall-clock time (a zone in it would be ignored, not converted).
 */
function dateParam(reader: SqlReader, date: Date): string {
  const iso = date.toISOString();
  return reader.provider === 'sqlite' ? iso.replace('Z', '+00:00') : iso.slice(0, -1);
}

function boolParam(reader: SqlReader, value: boolean): boolean | number {
  return reader.provider === 'sqlite' ? (value ? 1 : 0) : value;
}

interface Built {
  sql: string;
  params: unknown[];
}

/** WHERE conditions (joined by AND) for the filter; `p` is the patient join. */
function filterConditions(reader: SqlReader, filter: WorklistFilter, params: unknown[]): string[] {
  const like = reader.provider === 'postgresql' ? 'ILIKE' : 'LIKE';
  const and: string[] = [];
  if (filter.status && filter.status.length > 0) {
    and.push(`s."status" IN (${filter.status.map(() => '?').join(', ')})`);
    params.push(...filter.status);
  }
  if (filter.triage !== undefined) {
    and.push('s."triage" = ?');
    params.push(boolParam(reader, filter.triage));
  }
  if (filter.reviewed !== undefined) {
    and.push('s."reviewed" = ?');
    params.push(boolParam(reader, filter.reviewed));
  }
  if (filter.labelContains !== undefined) {
    and.push(`s."positiveLabels" ${like} ?`);
    params.push(`%${filter.labelContains}%`);
  }
  if (filter.from) {
    and.push('s."receivedAt" >= ?');
    params.push(dateParam(reader, filter.from));
  }
  if (filter.to) {
    and.push('s."receivedAt" < ?');
    params.push(dateParam(reader, filter.to));
  }
  if (filter.searchContains !== undefined) {
    const columns = ['p."name"', 'p."patientId"', 's."accessionNumber"', 's."description"'];
    if (reader.provider === 'postgresql') {
      // The text arrives escaped for LIKE (services/text-filter.ts); backslash is PostgreSQL's default LIKE escape.
      const pattern = `%${filter.searchContains}%`;
      and.push(`(${columns.map((c) => `${c} ILIKE ?`).join(' OR ')})`);
      params.push(...columns.map(() => pattern));
    } else {
      // SQLite's LIKE has no escape here: instr() matches the text literally (% and _ included), ASCII case
      // ignored as LIKE ignores it, so both paths find the same studies.
      and.push(`(${columns.map((c) => `instr(lower(${c}), lower(?)) > 0`).join(' OR ')})`);
      params.push(...columns.map(() => filter.searchContains));
    }
  }
  return and;
}

function positionCondition(reader: SqlReader, order: WorklistOrder, after: WorklistPosition, params: unknown[]) {
  const r = dateParam(reader, after.receivedAt);
  if (order === 'PRIORITY') {
    params.push(after.priority, after.priority, r, after.priority, r, after.id);
    return '(s."priority" < ? OR (s."priority" = ? AND s."receivedAt" > ?) OR (s."priority" = ? AND s."receivedAt" = ? AND s."id" > ?))';
  }
  const cmp = order === 'RECEIVED_DESC' ? '<' : '>';
  params.push(r, r, after.id);
  return `(s."receivedAt" ${cmp} ? OR (s."receivedAt" = ? AND s."id" ${cmp} ?))`;
}

const ORDER_BY: Record<WorklistOrder, string> = {
  PRIORITY: 's."priority" DESC, s."receivedAt" ASC, s."id" ASC',
  RECEIVED_DESC: 's."receivedAt" DESC, s."id" DESC',
  RECEIVED_ASC: 's."receivedAt" ASC, s."id" ASC',
};

export function buildWorklistPageSql(reader: SqlReader, query: WorklistPageQuery): Built {
  const params: unknown[] = [];
  const where = filterConditions(reader, query.filter, params);
  if (query.after) where.push(positionCondition(reader, query.order, query.after, params));
  params.push(query.limit);
  const sql = `SELECT ${SELECT_LIST}
FROM "Study" s
JOIN "Patient" p ON p."id" = s."patientId"
LEFT JOIN "StudyPrediction" sp ON sp."id" = (
  SELECT l."id" FROM "StudyPrediction" l WHERE l."studyId" = s."id" ORDER BY l."createdAt" DESC, l."id" DESC LIMIT 1
)
LEFT JOIN "ModelVersion" mv ON mv."id" = sp."modelVersionId"
${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
ORDER BY ${ORDER_BY[query.order]}
LIMIT ?`;
  return { sql, params };
}

export function buildWorklistCountSql(reader: SqlReader, filter: WorklistFilter): Built {
  const params: unknown[] = [];
  const where = filterConditions(reader, filter, params);
  // The patient is joined only when the search needs it (every study has one: the foreign key is required).
  const join = filter.searchContains !== undefined ? ' JOIN "Patient" p ON p."id" = s."patientId"' : '';
  return {
    sql: `SELECT COUNT(*) FROM "Study" s${join}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
  };
}

/** A stored SQLite DateTime: Prisma's ISO text, or `CURRENT_TIMESTAMP`'s zone-less UTC text, or epoch ms. */
function sqliteDate(value: unknown): Date {
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

function decode(provider: SqlReader['provider'], row: unknown[], offset: number, t: Table): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < t.names.length; i += 1) {
    const value = row[offset + i];
    const kind = t.kinds[i];
    out[t.names[i]!] =
      value === null || value === undefined
        ? null
        : provider === 'sqlite' && kind === 'bool'
          ? value === 1 || value === 1n
          : provider === 'sqlite' && kind === 'date'
            ? sqliteDate(value)
            : value;
  }
  return out;
}

const OFFSETS = (() => {
  let at = 0;
  const offsets: Record<keyof typeof TABLES, number> = { study: 0, patient: 0, prediction: 0, modelVersion: 0 };
  for (const key of Object.keys(TABLES) as Array<keyof typeof TABLES>) {
    offsets[key] = at;
    at += TABLES[key].names.length;
  }
  return offsets;
})();

export async function readWorklistPage(reader: SqlReader, query: WorklistPageQuery): Promise<WorklistRow[]> {
  const { sql, params } = buildWorklistPageSql(reader, query);
  const rows = await reader.rows(sql, params);
  const p = reader.provider;
  return rows.map((row) => {
    const hasPrediction = row[OFFSETS.prediction] !== null;
    const hasModel = row[OFFSETS.modelVersion] !== null;
    return {
      study: decode(p, row, OFFSETS.study, TABLES.study) as unknown as StudyRecord,
      patient: decode(p, row, OFFSETS.patient, TABLES.patient) as unknown as PatientRecord,
      prediction: hasPrediction
        ? (decode(p, row, OFFSETS.prediction, TABLES.prediction) as unknown as StudyPredictionRecord)
        : null,
      modelVersion: hasModel
        ? (decode(p, row, OFFSETS.modelVersion, TABLES.modelVersion) as unknown as ModelVersionRecord)
        : null,
    };
  });
}

export async function countWorklist(reader: SqlReader, filter: WorklistFilter): Promise<number> {
  const { sql, params } = buildWorklistCountSql(reader, filter);
  const rows = await reader.rows(sql, params);
  return Number(rows[0]?.[0] ?? 0);
}
