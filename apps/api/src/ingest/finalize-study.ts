import type { Db } from '../db/records.js';
import { enqueueStudyAnalysis } from '../queue/enqueue.js';
import { ineligibilityReason } from './geometry.js';

export interface StudyChange {
  status: string;
  /** Whether the status changed (an event is due). */
  changed: boolean;
  jobCreated: boolean;
}

/** Worklist priority of a study the model cannot read: below "not yet predicted" (0), so it never hides a bleed. */
export const NOT_ELIGIBLE_PRIORITY = -1;

/**
 * A study has finished arriving (end of an upload request, or quiet for STABLE_SECONDS after STOW-RS): queue one
 * analysis, or mark it NOT_ELIGIBLE with the reason when no series is axial CT. Runs inside the transaction that
 * recorded (or claimed) the study, so a study is never left stored but neither queued nor marked.
 */
export async function finalizeStudy(tx: Db, studyId: string): Promise<StudyChange> {
  const study = await tx.study.findUniqueOrThrow({
    where: { id: studyId },
    select: {
      status: true,
      notEligibleReason: true,
      series: { select: { seriesNumber: true, modality: true, orientation: true } },
    },
  });
  const reason = ineligibilityReason(study.series);
  if (reason !== null) {
    await tx.study.update({
      where: { id: studyId },
      data: {
        status: 'NOT_ELIGIBLE',
        notEligibleReason: reason,
        priority: NOT_ELIGIBLE_PRIORITY,
        lastInstanceAt: null,
      },
    });
    return { status: 'NOT_ELIGIBLE', changed: study.status !== 'NOT_ELIGIBLE', jobCreated: false };
  }
  if (study.status === 'NOT_ELIGIBLE') {
    // An axial CT series arrived for a study that had none: it joins the not-yet-predicted group.
    await tx.study.update({ where: { id: studyId }, data: { notEligibleReason: null, priority: 0 } });
  }
  const queued = await enqueueStudyAnalysis(tx, studyId);
  await tx.study.update({ where: { id: studyId }, data: { lastInstanceAt: null } });
  return { status: 'QUEUED', changed: study.status !== 'QUEUED', jobCreated: queued.created };
}
