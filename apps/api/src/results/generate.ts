import { readFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { loadSlice, parseModelCard } from '@ich/ml/node';
import type { Db, ResultObjectRecord } from '../db/records.js';
import { isUniqueViolation } from '../services/prisma-errors.js';
import type { ContentStore } from '../storage/content-store.js';
import { resolveStored } from '../worker/analyze-study.js';
import { createContext, keySliceOrder, probabilitiesOf, type ResultContext, SERIES, type SliceRef } from './context.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, type NaturalDataset, readNatural } from './dicom-file.js';
import { buildSr, COMPREHENSIVE_SR } from './sr.js';
import { buildSummaryImage, SECONDARY_CAPTURE, SUMMARY_HEIGHT, SUMMARY_WIDTH } from './summary-image.js';

export type ResultKind = 'SR' | 'SC';
export const RESULT_KINDS: readonly ResultKind[] = ['SR', 'SC'];

/** CT Image Storage: the SOP class of a slice whose Instance row predates SOP classes being recorded. */
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export interface ResultDeps {
  prisma: Db;
  store: ContentStore;
  /** STORAGE_DIR: where Instance.storageKey points (the analyzed CT files). */
  storageDir: string;
}

/**
 * Generates a prediction's DICOM SR and summary image and stores each as an Instance of its own series in the
 * prediction's study, recording a ResultObject row per object. Idempotent: UIDs and bytes derive from the
 * prediction (its id, its stored values, its createdAt as the content date), an object already recorded is
 * skipped, and a parallel generator losing the unique-constraint race reads the winner's rows. The files are
 * stored before the rows (ContentStore: a crash leaves at most an unreferenced file).
 */
export async function generateResultObjects(
  deps: ResultDeps,
  studyPredictionId: string,
): Promise<ResultObjectRecord[]> {
  const existing = await deps.prisma.resultObject.findMany({ where: { studyPredictionId } });
  const missing = RESULT_KINDS.filter((k) => !existing.some((e) => e.kind === k));
  if (missing.length === 0) return existing;
  const ctx = await loadContext(deps, studyPredictionId);
  const out = [...existing];
  for (const kind of missing) {
    const bytes = kind === 'SR' ? buildSr(ctx) : buildSummaryImage(ctx);
    out.push(await record(deps, ctx, kind, bytes, studyPredictionId));
  }
  return out;
}

async function record(
  deps: ResultDeps,
  ctx: LoadedContext,
  kind: ResultKind,
  bytes: Uint8Array,
  studyPredictionId: string,
): Promise<ResultObjectRecord> {
  const temp = await deps.store.writeTempBytes(bytes);
  const storageKey = await deps.store.commit(temp);
  const seriesInstanceUid = kind === 'SR' ? ctx.uids.srSeries : ctx.uids.scSeries;
  const sopInstanceUid = kind === 'SR' ? ctx.uids.srInstance : ctx.uids.scInstance;
  const studyId = ctx.studyId;
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const series =
        (await tx.series.findUnique({ where: { seriesInstanceUid }, select: { id: true } })) ??
        (await tx.series.create({
          data: {
            seriesInstanceUid,
            studyId,
            seriesNumber: SERIES[kind].number,
            description: SERIES[kind].description,
            modality: kind === 'SR' ? 'SR' : 'OT',
          },
          select: { id: true },
        }));
      const instance =
        (await tx.instance.findUnique({ where: { sopInstanceUid }, select: { id: true } })) ??
        (await tx.instance.create({
          data: {
            sopInstanceUid,
            sopClassUid: kind === 'SR' ? COMPREHENSIVE_SR : SECONDARY_CAPTURE,
            seriesId: series.id,
            instanceNumber: 1,
            rows: kind === 'SR' ? 0 : SUMMARY_HEIGHT,
            columns: kind === 'SR' ? 0 : SUMMARY_WIDTH,
            transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
            contentHash: temp.contentHash,
            storageKey,
            sizeBytes: temp.sizeBytes,
          },
          select: { id: true },
        }));
      return tx.resultObject.create({
        data: { studyPredictionId, studyId, kind, sopInstanceUid, seriesInstanceUid, instanceId: instance.id },
      });
    });
  } catch (error) {
    // Another worker (or a sweep) recorded the same object first: same UIDs, same bytes.
    if (!isUniqueViolation(error)) throw error;
    const row = await deps.prisma.resultObject.findUnique({ where: { sopInstanceUid } });
    if (!row) throw error;
    return row;
  }
}

interface LoadedContext extends ResultContext {
  studyId: string;
}

async function loadContext(deps: ResultDeps, studyPredictionId: string): Promise<LoadedContext> {
  const p = await deps.prisma.studyPrediction.findUnique({
    where: { id: studyPredictionId },
    include: {
      study: { select: { id: true, studyInstanceUid: true } },
      modelVersion: { select: { name: true, version: true, card: true, weightsHash: true } },
      slices: {
        orderBy: { sliceIndex: 'asc' },
        select: {
          sliceIndex: true,
          any: true,
          instance: {
            select: {
              sopInstanceUid: true,
              sopClassUid: true,
              instanceNumber: true,
              storageKey: true,
              series: { select: { seriesInstanceUid: true } },
            },
          },
        },
      },
    },
  });
  if (!p) throw new AppError('NOT_FOUND', `No prediction ${studyPredictionId}.`);
  if (p.slices.length === 0) throw new AppError('INTERNAL', `Prediction ${studyPredictionId} has no slices.`);
  const card = parseModelCard(
    JSON.parse(p.modelVersion.card),
    `model ${p.modelVersion.name}@${p.modelVersion.version}`,
  );
  const refOf = (s: (typeof p.slices)[number]): SliceRef => ({
    sopClassUid: s.instance.sopClassUid || CT_IMAGE_STORAGE,
    sopInstanceUid: s.instance.sopInstanceUid,
    seriesInstanceUid: s.instance.series.seriesInstanceUid,
  });
  const keyIndex = keySliceOrder(p.slices, 1)[0] as number;
  const keyRow = p.slices.find((s) => s.sliceIndex === keyIndex) ?? (p.slices[0] as (typeof p.slices)[number]);
  const file = resolveStored(deps.storageDir, keyRow.instance.storageKey);
  const loaded = await loadSlice(file);
  if (!loaded.ok)
    throw new AppError(loaded.error.code, `key slice ${keyRow.instance.storageKey}: ${loaded.error.message}`);
  const source = await readSourceHeader(file);

  return {
    studyId: p.study.id,
    ...createContext({
      studyInstanceUid: p.study.studyInstanceUid,
      prediction: { ...p, probabilities: probabilitiesOf(p) },
      slices: p.slices.map((s) => ({
        sliceIndex: s.sliceIndex,
        any: s.any,
        ref: refOf(s),
        instanceNumber: s.instance.instanceNumber,
      })),
      model: { name: p.modelVersion.name, version: p.modelVersion.version, weightsHash: p.modelVersion.weightsHash },
      card,
      keyImage: loaded.value,
      sourceHeader: source,
    }),
  };
}

async function readSourceHeader(file: string): Promise<NaturalDataset> {
  return readNatural(new Uint8Array(await readFile(file)));
}

/**
 * Predictions that lack a result object (the worker died between committing the prediction and generating them,
 * or generation failed): generated again, oldest first, `limit` at a time. Returns how many were completed.
 */
export async function sweepResultObjects(
  deps: ResultDeps,
  options: {
    limit?: number;
    skip?: Set<string>;
    log?: (line: string) => void;
    /** Called after a prediction's objects were generated (the worker queues its auto-sends there). */
    onGenerated?: (predictionId: string) => Promise<void>;
  } = {},
): Promise<number> {
  const pending = await deps.prisma.studyPrediction.findMany({
    where: {
      OR: RESULT_KINDS.map((kind) => ({ resultObjects: { none: { kind } } })),
      ...(options.skip?.size ? { id: { notIn: [...options.skip] } } : {}),
    },
    orderBy: { createdAt: 'asc' },
    take: options.limit ?? 10,
    select: { id: true },
  });
  let done = 0;
  for (const { id } of pending) {
    try {
      await generateResultObjects(deps, id);
      done += 1;
      await options.onGenerated?.(id);
    } catch (error) {
      options.skip?.add(id);
      options.log?.(`result objects for prediction ${id} failed: ${(error as Error).message}`);
    }
  }
  return done;
}
