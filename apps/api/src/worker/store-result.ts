import { AppError } from '@ich/errors';
import type { LABELS } from '@ich/ml/node';
import { type AuditEntry, type AuditLog, SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { ModelVersionRecord } from '../db/records.js';
import type { ClaimedJob } from '../queue/job-queue.js';
import { HEMORRHAGE_LABELS, storedLabel } from '../services/labels.js';
import type { StudyAnalysis } from './analyze-study.js';

export interface StoredResult {
  predictionId: string;
  /** The study's status afterwards: DONE, or QUEUED when newer slices queued another job meanwhile. */
  status: 'DONE' | 'QUEUED';
}

/**
 * Writes one job's result in one transaction: the job becomes DONE (only if this worker still holds its lease),
 * the StudyPrediction (stamped with the job, model version, engine and duration) and its SlicePredictions in slice
 * order, and the study's worklist columns. Two guards keep a job from producing two predictions: the conditional
 * update on the lease (a worker whose lease was taken over writes nothing) and the unique StudyPrediction.jobId.
 * The `study.analyze` audit event is chained in the same transaction (AuditLog.change): a crash leaves both or neither.
 */
export async function storeResult(
  audit: AuditLog,
  job: ClaimedJob,
  model: { version: ModelVersionRecord; engine: string; thresholds: Record<(typeof LABELS)[number], number> },
  analysis: StudyAnalysis,
  durationMs: number,
  /** The `study.analyze` event for the stored prediction: recorded in the same transaction as the result. */
  event: (predictionId: string) => AuditEntry,
): Promise<StoredResult> {
  const { prediction, instanceIds } = analysis;
  const p = prediction.probabilities;
  // Worklist columns, in the form the reads expect (apps/api/src/graphql/README.md, "Reads").
  // A subtype is positive at the model card's threshold for it, the same rule that sets the triage flag.
  const positives = HEMORRHAGE_LABELS.filter((label) => {
    const key = storedLabel(label) as (typeof LABELS)[number];
    return p[key] >= model.thresholds[key];
  });
  const now = new Date();
  return audit.change(async (tx, record) => {
    const owned = await tx.inferenceJob.updateMany({
      where: { id: job.id, leaseOwner: job.owner, status: 'RUNNING' },
      data: { status: 'DONE', finishedAt: now, leaseOwner: null, leaseExpiresAt: null, errorCode: null, error: null },
    });
    if (owned.count !== 1)
      throw new AppError('CONFLICT', `job ${job.id} is no longer this worker's (its lease expired and was taken over)`);
    const stored = await tx.studyPrediction.create({
      data: {
        studyId: job.studyId,
        modelVersionId: model.version.id,
        jobId: job.id,
        any: p.any,
        epidural: p.epidural,
        intraparenchymal: p.intraparenchymal,
        intraventricular: p.intraventricular,
        subarachnoid: p.subarachnoid,
        subdural: p.subdural,
        triage: prediction.triage,
        engine: model.engine,
        durationMs: Math.round(durationMs),
      },
      select: { id: true },
    });
    await tx.slicePrediction.createMany({
      data: prediction.slices.map((s, sliceIndex) => ({
        studyPredictionId: stored.id,
        instanceId: instanceIds[sliceIndex]!,
        sliceIndex,
        any: s.probabilities.any,
        epidural: s.probabilities.epidural,
        intraparenchymal: s.probabilities.intraparenchymal,
        intraventricular: s.probabilities.intraventricular,
        subarachnoid: s.probabilities.subarachnoid,
        subdural: s.probabilities.subdural,
      })),
    });
    const waiting = await tx.inferenceJob.count({ where: { studyId: job.studyId, status: 'QUEUED' } });
    const status = waiting > 0 ? 'QUEUED' : 'DONE';
    await tx.study.update({
      where: { id: job.studyId },
      data: {
        status,
        triage: prediction.triage,
        priority: prediction.triage ? 2 : 1,
        anyScore: p.any,
        positiveLabels: positives.map(storedLabel).join(' '),
      },
    });
    record(SYSTEM_ACTOR, event(stored.id));
    return { predictionId: stored.id, status };
  });
}
