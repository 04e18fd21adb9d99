import { AppError } from '@ich/errors';
import { type ModelTargets, parseModelCard } from '@ich/ml/browser';
import { Prisma } from '@ich/prisma';
import { SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { Db, ModelVersionRecord } from '../db/records.js';
import {
  type Alert,
  alertsOf,
  type CaseGroup,
  checkTargets,
  type Performance,
  performanceOf,
  type TargetCheck,
  tally,
} from '../monitoring/accuracy.js';
import type { ServiceDeps } from './deps.js';
import { checkId } from './ids.js';
import { isUniqueViolation } from './prisma-errors.js';

/**
 * The window the admin page opens on and the one whose alerts are tracked and audited: the trailing 90 days. A model
 * version that drifts in use shows up here, rather than being averaged away by its whole history.
 */
export const ALERT_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;
/** Longest window a caller may ask for; beyond it the question is about a different deployment. */
const MAX_WINDOW_DAYS = 3660;

/** The tracked window: the trailing ALERT_WINDOW_DAYS, ending just after `now` so what was stored now is inside. */
export function alertWindow(now = new Date()): { from: Date; to: Date } {
  const to = new Date(now.getTime() + 1);
  return { from: new Date(to.getTime() - ALERT_WINDOW_DAYS * DAY_MS), to };
}

export interface ModelPerformanceRecord extends Performance {
  modelVersion: ModelVersionRecord;
  from: Date;
  to: Date;
  targets: ModelTargets | null;
  checks: TargetCheck[];
  alerts: Alert[];
}

/** The card's declared targets; a stored card that predates them (or does not parse) declares none. */
export function targetsOf(version: Pick<ModelVersionRecord, 'card'>): ModelTargets | null {
  try {
    return parseModelCard(JSON.parse(version.card)).targets ?? null;
  } catch {
    return null;
  }
}

/**
 * One query, whatever the number of studies: per study, the latest prediction the version made within [from, to);
 * per such prediction, the latest review of it; counted by (flag, verdict). A study re-analysed by the same version
 * counts once; a review of an earlier prediction does not vouch for a later one (the study is then unreviewed).
 */
export async function aggregateCases(prisma: Db, modelVersionId: string, from: Date, to: Date): Promise<CaseGroup[]> {
  const rows = await prisma.$queryRaw<Array<{ triage: boolean | number; verdict: string | null; count: number }>>(
    Prisma.sql`
      WITH "latestPrediction" AS (
        SELECT "p"."id", "p"."triage",
               ROW_NUMBER() OVER (PARTITION BY "p"."studyId" ORDER BY "p"."createdAt" DESC, "p"."id" DESC) AS "rn"
          FROM "StudyPrediction" AS "p"
         WHERE "p"."modelVersionId" = ${modelVersionId} AND "p"."createdAt" >= ${from} AND "p"."createdAt" < ${to}
      ), "latestReview" AS (
        SELECT "r"."studyPredictionId", "r"."verdict",
               ROW_NUMBER() OVER (PARTITION BY "r"."studyPredictionId" ORDER BY "r"."createdAt" DESC, "r"."id" DESC)
                 AS "rn"
          FROM "Review" AS "r"
         WHERE "r"."studyPredictionId" IN (SELECT "id" FROM "latestPrediction" WHERE "rn" = 1)
      )
      SELECT "lp"."triage" AS "triage", CAST("lr"."verdict" AS TEXT) AS "verdict", CAST(COUNT(*) AS INTEGER) AS "count"
        FROM "latestPrediction" AS "lp"
        LEFT JOIN "latestReview" AS "lr" ON "lr"."studyPredictionId" = "lp"."id" AND "lr"."rn" = 1
       WHERE "lp"."rn" = 1
       GROUP BY "lp"."triage", "lr"."verdict"`,
  );
  return rows.map((r) => {
    if (r.verdict !== null && r.verdict !== 'AGREE' && r.verdict !== 'DISAGREE')
      throw new AppError('INTERNAL', `Unknown review verdict ${r.verdict}.`);
    // SQLite hands booleans back as 0/1 and PostgreSQL as true/false.
    return { triage: r.triage === true || r.triage === 1, verdict: r.verdict, count: Number(r.count) };
  });
}

/**
 * Keeps ModelAlert in step with the latest evaluation of the alert window and audits each change once: the flip to
 * firing is won by exactly one process (an insert, or a conditional update from not firing), and so is the clear.
 */
export async function syncAlertState(
  deps: Pick<ServiceDeps, 'prisma' | 'audit'>,
  version: Pick<ModelVersionRecord, 'id' | 'name' | 'version'>,
  performance: Performance,
  checks: readonly TargetCheck[],
  window: { from: Date; to: Date },
): Promise<void> {
  const { prisma, audit } = deps;
  for (const check of checks) {
    const where = { modelVersionId: version.id, metric: check.metric };
    let changed = false;
    if (check.firing) {
      try {
        await prisma.modelAlert.create({ data: { ...where, firing: true } });
        changed = true;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const flipped = await prisma.modelAlert.updateMany({
          where: { ...where, firing: false },
          data: { firing: true, changedAt: new Date() },
        });
        changed = flipped.count === 1;
      }
    } else {
      const cleared = await prisma.modelAlert.updateMany({
        where: { ...where, firing: true },
        data: { firing: false, changedAt: new Date() },
      });
      changed = cleared.count === 1;
    }
    if (!changed) continue;
    const p = performance[check.metric];
    await audit.append(SYSTEM_ACTOR, {
      action: check.firing ? 'model.alert.start' : 'model.alert.stop',
      resourceType: 'ModelVersion',
      resourceId: version.id,
      details: {
        name: version.name,
        version: version.version,
        metric: check.metric,
        target: check.target,
        successes: p.successes,
        total: p.total,
        lowerBound: p.interval?.lower ?? null,
        from: window.from.toISOString(),
        to: window.to.toISOString(),
      },
    });
  }
}

export class MonitoringService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
  ) {}

  /**
   * Observed accuracy of one model version's triage flag over [from, to), from clinicians' reviews. Open to anyone
   * who may list model versions (read:studies): the figures are counts over many studies and name no patient, and
   * clinicians deciding how far to trust the flag are among their readers. Without from/to it is the alert window
   * (the trailing ALERT_WINDOW_DAYS), and its alerts are the tracked ones: a change in them is audited once.
   */
  async performance(
    modelVersionId: string,
    from: Date | null | undefined,
    to: Date | null | undefined,
  ): Promise<ModelPerformanceRecord> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    checkId(modelVersionId, 'modelVersionId');
    const tracked = from == null && to == null;
    const end = to ?? alertWindow().to;
    const start = from ?? new Date(end.getTime() - ALERT_WINDOW_DAYS * DAY_MS);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start.getTime() >= end.getTime())
      throw new AppError('BAD_USER_INPUT', 'from: must be before to', { field: 'from' });
    if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * DAY_MS)
      throw new AppError('BAD_USER_INPUT', `to: the window may span at most ${MAX_WINDOW_DAYS} days`, { field: 'to' });

    const { prisma } = this.deps;
    const version = await prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
    if (!version) throw new AppError('NOT_FOUND', 'No such model version.', { id: modelVersionId });
    const performance = performanceOf(tally(await aggregateCases(prisma, version.id, start, end)));
    const targets = targetsOf(version);
    const checks = checkTargets(performance, targets);
    const alerts = alertsOf(performance, targets);
    if (tracked) await syncAlertState(this.deps, version, performance, checks, { from: start, to: end });
    return { ...performance, modelVersion: version, from: start, to: end, targets, checks, alerts };
  }
}

/**
 * Re-evaluates the alert window of the version a new review concerns, so an alert starts (and is audited) when the
 * review that tips it is recorded, not only when someone opens the admin page.
 */
export async function evaluateAlertWindow(
  deps: Pick<ServiceDeps, 'prisma' | 'audit'>,
  modelVersionId: string,
  now = new Date(),
): Promise<void> {
  const version = await deps.prisma.modelVersion.findUnique({ where: { id: modelVersionId } });
  if (!version) return;
  const targets = targetsOf(version);
  if (!targets) return;
  const { from, to } = alertWindow(now);
  const performance = performanceOf(tally(await aggregateCases(deps.prisma, version.id, from, to)));
  await syncAlertState(deps, version, performance, checkTargets(performance, targets), { from, to });
}
