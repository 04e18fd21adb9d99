import DataLoader from 'dataloader';
import type {
  Db,
  InferenceJobRecord,
  ModelVersionRecord,
  PatientRecord,
  ReviewRecord,
  SeriesRecord,
  SlicePredictionRecord,
  StudyPredictionRecord,
  StudyRecord,
  UserRecord,
} from './records.js';

/**
 * Per-request batching: a worklist page of N studies costs one query per relation (patients, predictions, ...),
 * not N. Loaders live for one request only, so one caller never sees another's cached rows.
 */
export interface Loaders {
  patientById: DataLoader<string, PatientRecord | null>;
  userById: DataLoader<string, UserRecord | null>;
  modelVersionById: DataLoader<string, ModelVersionRecord | null>;
  seriesByStudyId: DataLoader<string, SeriesRecord[]>;
  instanceCountBySeriesId: DataLoader<string, number>;
  latestPredictionByStudyId: DataLoader<string, StudyPredictionRecord | null>;
  latestJobByStudyId: DataLoader<string, InferenceJobRecord | null>;
  slicesByPredictionId: DataLoader<string, SlicePredictionRecord[]>;
  reviewsByStudyId: DataLoader<string, ReviewRecord[]>;
  studiesByPatientId: DataLoader<string, StudyRecord[]>;
}

function byKey<K extends string, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): Array<R | null> {
  const map = new Map<K, R>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((k) => map.get(k) ?? null);
}

function groupBy<K extends string, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): R[][] {
  const map = new Map<K, R[]>();
  for (const row of rows) {
    const list = map.get(keyOf(row));
    if (list) list.push(row);
    else map.set(keyOf(row), [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

/** The first row per key in the rows' order (callers sort newest first). */
function firstPerKey<K extends string, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): Array<R | null> {
  const map = new Map<K, R>();
  for (const row of rows) if (!map.has(keyOf(row))) map.set(keyOf(row), row);
  return keys.map((k) => map.get(k) ?? null);
}

export function createLoaders(prisma: Db): Loaders {
  return {
    patientById: new DataLoader(async (ids) =>
      byKey(ids, await prisma.patient.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    userById: new DataLoader(async (ids) =>
      byKey(ids, await prisma.user.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    modelVersionById: new DataLoader(async (ids) =>
      byKey(ids, await prisma.modelVersion.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    seriesByStudyId: new DataLoader(async (ids) =>
      groupBy(
        ids,
        await prisma.series.findMany({
          where: { studyId: { in: [...ids] } },
          orderBy: [{ seriesNumber: 'asc' }, { id: 'asc' }],
        }),
        (r) => r.studyId,
      ),
    ),
    instanceCountBySeriesId: new DataLoader(async (ids) => {
      const counts = await prisma.instance.groupBy({
        by: ['seriesId'],
        where: { seriesId: { in: [...ids] } },
        _count: { _all: true },
      });
      const map = new Map(counts.map((c) => [c.seriesId, c._count._all]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    latestPredictionByStudyId: new DataLoader(async (ids) =>
      firstPerKey(
        ids,
        await prisma.studyPrediction.findMany({
          where: { studyId: { in: [...ids] } },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
        (r) => r.studyId,
      ),
    ),
    latestJobByStudyId: new DataLoader(async (ids) =>
      firstPerKey(
        ids,
        await prisma.inferenceJob.findMany({
          where: { studyId: { in: [...ids] } },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
        (r) => r.studyId,
      ),
    ),
    slicesByPredictionId: new DataLoader(async (ids) =>
      groupBy(
        ids,
        await prisma.slicePrediction.findMany({
          where: { studyPredictionId: { in: [...ids] } },
          orderBy: [{ sliceIndex: 'asc' }, { id: 'asc' }],
        }),
        (r) => r.studyPredictionId,
      ),
    ),
    reviewsByStudyId: new DataLoader(async (ids) =>
      groupBy(
        ids,
        await prisma.review.findMany({
          where: { studyId: { in: [...ids] } },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        }),
        (r) => r.studyId,
      ),
    ),
    studiesByPatientId: new DataLoader(async (ids) =>
      groupBy(
        ids,
        await prisma.study.findMany({
          where: { patientId: { in: [...ids] } },
          orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        }),
        (r) => r.patientId,
      ),
    ),
  };
}
