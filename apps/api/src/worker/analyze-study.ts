import path from 'node:path';
import { AppError } from '@ich/errors';
import { groupStudies, inferStudy, type LoadedSlice, loadSlice, type StudyPrediction } from '@ich/ml/node';
import type { Db } from '../db/records.js';
import type { LoadedModel } from './active-model.js';

export interface StudyAnalysis {
  prediction: StudyPrediction;
  /** Instance row id for each predicted slice, in slice order. */
  instanceIds: string[];
  timings: { readMs: number; inferMs: number };
}

/** Files read and decoded at once: decoding compressed frames runs on the ml decode pool, plain reads on libuv. */
const READ_CONCURRENCY = 4;

/**
 * Reads a study's stored files (STORAGE_DIR + Instance.storageKey), decodes them to HU and runs study inference on
 * the primary series. A stored file that cannot be read or decoded fails the attempt with that file's code and
 * name: it passed validation at ingest, so this is a storage fault worth retrying and then reporting, never a
 * reason to triage a study on part of its slices.
 */
export async function analyzeStudy(
  prisma: Pick<Db, 'instance'>,
  storageDir: string,
  studyId: string,
  model: LoadedModel,
): Promise<StudyAnalysis> {
  const instances = await prisma.instance.findMany({
    // The product's own result objects (SR, summary image) live in the study too; they are not slices to read.
    where: { series: { studyId }, resultObject: { is: null } },
    select: { id: true, sopInstanceUid: true, storageKey: true },
  });
  if (instances.length === 0) throw new AppError('BAD_SERIES', 'The study has no stored instances.');
  const started = performance.now();
  const slices: LoadedSlice[] = new Array(instances.length);
  let next = 0;
  const readOne = async () => {
    while (next < instances.length) {
      const i = next++;
      const instance = instances[i]!;
      const file = resolveStored(storageDir, instance.storageKey);
      const result = await loadSlice(file);
      if (!result.ok)
        throw new AppError(result.error.code, `${instance.storageKey}: ${result.error.message}`, {
          instanceId: instance.id,
        });
      slices[i] = result.value;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, instances.length) }, readOne));
  const readMs = performance.now() - started;

  const studies = groupStudies(slices);
  if (studies.length !== 1)
    throw new AppError('BAD_SERIES', `The stored files belong to ${studies.length} studies (StudyInstanceUID).`);
  const inferStarted = performance.now();
  const prediction = await inferStudy(model.engine, model.card, studies[0]!);
  const inferMs = performance.now() - inferStarted;
  const bySop = new Map(instances.map((i) => [i.sopInstanceUid, i.id]));
  const instanceIds = prediction.slices.map((s) => {
    const id = bySop.get(s.sopInstanceUid);
    if (!id) throw new AppError('INTERNAL', `A predicted slice (${s.sopInstanceUid}) has no Instance row.`);
    return id;
  });
  return { prediction, instanceIds, timings: { readMs, inferMs } };
}

/** STORAGE_DIR-relative keys only: a key that climbs out of the storage folder is refused, whoever wrote it. */
export function resolveStored(storageDir: string, storageKey: string): string {
  const root = path.resolve(storageDir);
  const file = path.resolve(root, storageKey);
  if (path.isAbsolute(storageKey) || !file.startsWith(root + path.sep))
    throw new AppError('BAD_USER_INPUT', `storage key ${JSON.stringify(storageKey)} is outside STORAGE_DIR`);
  return file;
}
