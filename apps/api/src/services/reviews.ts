import { AppError } from '@ich/errors';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { Loaders } from '../db/loaders.js';
import type { ReviewRecord, UserRecord } from '../db/records.js';
import type { ServiceDeps } from './deps.js';
import { checkId, checkText } from './ids.js';
import { evaluateAlertWindow } from './monitoring.js';

export type Verdict = ReviewRecord['verdict'];

export class ReviewService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
    private readonly loaders: Loaders,
  ) {}

  /**
   * Records the caller's verdict on the model's triage flag: AGREE (the flag, suspected bleed or not, is right) or
   * DISAGREE. A study can be reviewed again (a second reader, a changed mind): reviews accumulate, the study counts
   * as reviewed once it has any, and accuracy in use counts the latest review of each prediction.
   */
  async review(studyId: string, verdict: Verdict, comment: string | null | undefined): Promise<ReviewRecord> {
    const principal = authorize(this.caller.principal, { scope: 'write:studies' });
    checkId(studyId);
    const text = checkText(comment, 'comment', 4000) ?? '';
    const { prisma, audit } = this.deps;
    const study = await prisma.study.findUnique({ where: { id: studyId } });
    if (!study) throw new AppError('NOT_FOUND', 'No such study.', { id: studyId });
    if (study.status !== 'DONE') throw new AppError('CONFLICT', 'The study has no finished result to review yet.');
    // The verdict is about the triage flag the reviewer was shown: the study's latest prediction, the one the viewer
    // and worklist display. Recording which one credits it to the model version that made it.
    const prediction = await prisma.studyPrediction.findFirst({
      where: { studyId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, modelVersionId: true, triage: true },
    });
    if (!prediction) throw new AppError('CONFLICT', 'The study has no finished result to review yet.');
    const [review] = await prisma.$transaction([
      prisma.review.create({
        data: { studyId, studyPredictionId: prediction.id, reviewerId: principal.userId, verdict, comment: text },
      }),
      prisma.study.update({ where: { id: studyId }, data: { reviewed: true } }),
    ]);
    await audit.append(actorOf(this.caller), {
      action: 'review.create',
      resourceType: 'Review',
      resourceId: review.id,
      studyId,
      patientId: study.patientId,
      details: { verdict, triage: prediction.triage, modelVersionId: prediction.modelVersionId },
    });
    await evaluateAlertWindow(this.deps, prediction.modelVersionId);
    return review;
  }

  async reviewerOf(review: ReviewRecord): Promise<UserRecord> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const user = await this.loaders.userById.load(review.reviewerId);
    if (!user) throw new AppError('INTERNAL', 'A review refers to a missing user.');
    return user;
  }
}
