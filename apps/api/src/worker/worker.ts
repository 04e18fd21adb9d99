import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError, toAppError } from '@ich/errors';
import { type AuditLog, SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { WorkerSettings } from '../config/env.js';
import type { Db } from '../db/records.js';
import { queueAutoSends } from '../destinations/enqueue.js';
import type { StudyEvents } from '../events/study-events.js';
import { type Logger, silent } from '../log/logger.js';
import { ClaimLoop } from '../queue/claim-loop.js';
import type { ClaimedJob, JobQueue } from '../queue/job-queue.js';
import type { JobWakeup } from '../queue/wakeup.js';
import { generateResultObjects, type ResultDeps, sweepResultObjects } from '../results/generate.js';
import { ContentStore } from '../storage/content-store.js';
import type { ActiveModel, LoadedModel } from './active-model.js';
import { analyzeStudy } from './analyze-study.js';
import { storeResult } from './store-result.js';

/** How often an idle worker looks for predictions whose result objects are missing (and at start). */
const RESULT_SWEEP_MS = 60_000;

export interface WorkerDeps {
  prisma: Db;
  queue: JobQueue;
  wakeup: JobWakeup;
  model: ActiveModel;
  events: StudyEvents;
  audit: AuditLog;
  storageDir: string;
  settings: WorkerSettings;
  /**
   * Auto-send: after a result, the prediction's result objects are queued to every enabled auto-send destination
   * (the sends themselves run in `ResultSender`). Absent: nothing is queued.
   */
  autoSend?: { maxAttempts: number };
  /** Absent: the worker prints nothing (tests). */
  log?: Logger;
}

/** Where one job's time went, in ms (the benchmark's breakdown). */
export interface JobTimings {
  claimedAt: number;
  modelLoadMs: number;
  readMs: number;
  inferMs: number;
  writeMs: number;
  /** Generating and storing the DICOM SR and summary image after the prediction committed (0 when it failed). */
  resultObjectsMs: number;
  totalMs: number;
}

export type JobOutcome =
  | { jobId: string; studyId: string; kind: 'DONE'; predictionId: string; timings: JobTimings }
  | { jobId: string; studyId: string; kind: 'RETRY' | 'FAILED' | 'LOST' | 'RELEASED'; code: string; message: string };

/**
 * The inference worker: `concurrency` loops that claim a job, hold its lease with a heartbeat, analyze the study
 * and store the result, sleeping on the wake-up channel when the queue is empty. stop() stops claiming, lets
 * running jobs finish within a grace period, and releases the ones that do not (they are re-run at once elsewhere).
 */
export class InferenceWorker {
  /** Identifies this process's claims in InferenceJob.leaseOwner (host and pid help an operator find it). */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly loops: ClaimLoop<ClaimedJob>;
  private readonly active = new Map<string, { job: ClaimedJob; release: () => void }>();
  private readonly listeners = new Set<(outcome: JobOutcome) => void>();
  private readonly results: ResultDeps;
  private storeReady: Promise<void> | null = null;
  private lastSweep = 0;
  private sweeping = false;
  /** Predictions whose result objects failed in a sweep: not retried by this process (the log said why). */
  private readonly sweepSkip = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly deps: WorkerDeps) {
    this.log = deps.log ?? silent;
    this.results = { prisma: deps.prisma, store: new ContentStore(deps.storageDir), storageDir: deps.storageDir };
    this.loops = new ClaimLoop({
      concurrency: deps.settings.concurrency,
      wakeup: deps.wakeup,
      pollMs: deps.settings.pollMs,
      claim: () => deps.queue.claim(this.id),
      nextRunAfter: () => deps.queue.nextRunAfter(),
      idle: () => this.sweepResults(),
      process: async (job) => {
        const outcome = await this.run(job);
        for (const listener of this.listeners) listener(outcome);
      },
      claimFailed: (error) => this.log.warn(`claim failed: ${toAppError(error).message}`),
      // run() records every job's outcome itself; what lands here failed after that (the failure's audit entry, an
      // event, a listener), so the job's row already says how it ended.
      processFailed: (job, error) => this.log.error(`job ${job.id}: ${toAppError(error).message}`),
    });
  }

  /** Called after every job (tests and the benchmark watch them). */
  onJob(listener: (outcome: JobOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.loops.start();
  }

  /** Stops claiming; waits up to `graceMs` for running jobs, then releases the rest without counting the attempt. */
  async stop(graceMs = this.deps.settings.shutdownGraceMs): Promise<void> {
    if (!(await this.loops.stop(graceMs))) {
      for (const { job, release } of this.active.values()) {
        release();
        const released = await this.deps.queue.release(job).catch(() => false);
        if (released) this.log.info(`job ${job.id} released for another worker`);
        else this.log.warn(`job ${job.id} could not be released (lease lost)`);
        if (released) this.publish(job.studyId, 'STATUS', 'QUEUED');
      }
    }
    await this.deps.audit.flush();
  }

  private publish(studyId: string, kind: 'STATUS' | 'RESULT', status: string): void {
    this.deps.events.publish({ kind, studyId, status, at: new Date().toISOString() });
  }

  private async ensureStore(): Promise<void> {
    this.storeReady ??= this.results.store.init().catch((error: unknown) => {
      this.storeReady = null;
      throw error;
    });
    await this.storeReady;
  }

  /**
   * The prediction's DICOM SR and summary image (src/results), right after it committed. A failure here does not
   * fail the job (the prediction stands); the sweep generates them later, as it does when this process died
   * between the two steps.
   */
  private async writeResultObjects(predictionId: string): Promise<boolean> {
    try {
      await this.ensureStore();
      await generateResultObjects(this.results, predictionId);
      return true;
    } catch (error) {
      this.log.warn(
        `result objects for prediction ${predictionId} failed (the sweep retries): ${toAppError(error).message}`,
      );
      return false;
    }
  }

  /** At start and then every RESULT_SWEEP_MS while idle: result objects a crash or a failure left missing. */
  private async sweepResults(): Promise<void> {
    if (this.sweeping || Date.now() - this.lastSweep < RESULT_SWEEP_MS) return;
    this.sweeping = true;
    this.lastSweep = Date.now();
    try {
      await this.ensureStore();
      const done = await sweepResultObjects(this.results, {
        skip: this.sweepSkip,
        log: this.log.warn,
        onGenerated: (predictionId) => this.queueAutoSends(predictionId),
      });
      if (done > 0) this.log.info(`generated missing result objects for ${done} prediction(s)`);
    } catch (error) {
      this.log.warn(`result object sweep failed: ${toAppError(error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Queues the prediction's result objects (SR, summary image) to the auto-send destinations. Runs after the result
   * objects were created; a failure here is logged and does not fail the analysis (an admin can send manually).
   */
  private async queueAutoSends(predictionId: string): Promise<void> {
    if (!this.deps.autoSend) return;
    try {
      const queued = await queueAutoSends(this.deps.prisma, predictionId, this.deps.autoSend.maxAttempts);
      if (queued.queued > 0)
        this.log.info(
          `prediction ${predictionId}: ${queued.queued} sends queued to ${queued.destinations} destinations`,
        );
    } catch (error) {
      // Not retried: the result stands, and an admin sends it by hand.
      this.log.error(`prediction ${predictionId}: queueing auto-sends failed: ${toAppError(error).message}`);
    }
  }

  private async run(job: ClaimedJob): Promise<JobOutcome> {
    const { prisma, queue, model, audit, storageDir, settings } = this.deps;
    const claimedAt = Date.now();
    const started = performance.now();
    let lost = false;
    let released = false;
    const heartbeat = setInterval(
      () => {
        queue.heartbeat(job).then(
          (held) => {
            if (!held) lost = true;
          },
          (error: unknown) => this.log.warn(`heartbeat for job ${job.id} failed: ${toAppError(error).message}`),
        );
      },
      Math.max(500, Math.floor(settings.leaseMs / 3)),
    );
    this.active.set(job.id, { job, release: () => (released = true) });
    let loaded: LoadedModel | undefined;
    try {
      // Claimed again after its lease ran out with every attempt used: its workers died on it (a crash, running
      // out of memory). Running it again would likely take this worker down too, so it ends here.
      if (job.attempts > job.maxAttempts)
        throw new AppError(
          'INTERNAL',
          `The worker running this job stopped without finishing it ${job.maxAttempts} times (lease expired each time; crashed or ran out of memory?).`,
        );
      const study = await prisma.study.update({
        where: { id: job.studyId },
        data: { status: 'PROCESSING' },
        select: { patientId: true },
      });
      this.publish(job.studyId, 'STATUS', 'PROCESSING');
      loaded = await model.get();
      const analysis = await analyzeStudy(prisma, storageDir, job.studyId, loaded);
      if (released) throw new Error('released at shutdown');
      if (lost) throw new Error('lease lost');
      const writeStarted = performance.now();
      const durationMs = writeStarted - started;
      const result = await storeResult(
        audit,
        job,
        { version: loaded.version, engine: loaded.engine.name, thresholds: loaded.card.thresholds },
        analysis,
        durationMs,
        (predictionId) => ({
          action: 'study.analyze',
          resourceType: 'StudyPrediction',
          resourceId: predictionId,
          studyId: job.studyId,
          patientId: study.patientId,
          details: {
            jobId: job.id,
            worker: this.id,
            attempt: job.attempts,
            modelVersion: `${loaded!.version.name}@${loaded!.version.version}`,
            engine: loaded!.engine.name,
            slices: analysis.prediction.slices.length,
            triage: analysis.prediction.triage,
            durationMs: Math.round(durationMs),
          },
        }),
      );
      const writeMs = performance.now() - writeStarted;
      this.publish(job.studyId, 'RESULT', result.status);
      const resultStarted = performance.now();
      const resultObjectsOk = await this.writeResultObjects(result.predictionId);
      // Only once the SR and summary image exist: auto-send queues them (the sweep's objects are queued there).
      if (resultObjectsOk) await this.queueAutoSends(result.predictionId);
      const timings: JobTimings = {
        claimedAt,
        modelLoadMs: loaded.loadMs,
        readMs: analysis.timings.readMs,
        inferMs: analysis.timings.inferMs,
        writeMs,
        resultObjectsMs: resultObjectsOk ? performance.now() - resultStarted : 0,
        totalMs: performance.now() - started,
      };
      this.log.info(
        `job ${job.id} study ${job.studyId}: ${analysis.prediction.slices.length} slices, triage ${analysis.prediction.triage} in ${Math.round(timings.totalMs)} ms ${JSON.stringify(roundTimings(timings))}`,
      );
      return { jobId: job.id, studyId: job.studyId, kind: 'DONE', predictionId: result.predictionId, timings };
    } catch (thrown) {
      if (released)
        return { jobId: job.id, studyId: job.studyId, kind: 'RELEASED', code: 'INTERNAL', message: 'released' };
      const error = toAppError(thrown);
      // Unexpected errors keep their own message for the operator; toAppError's generic one tells a user nothing.
      const message = error.code === 'INTERNAL' && thrown instanceof Error ? thrown.message : error.message;
      const outcome = await queue.fail(job, { code: error.code, message }).catch((e: unknown) => {
        // The lease runs out and the job is claimed again.
        this.log.warn(`job ${job.id}: recording the failure failed: ${toAppError(e).message}`);
        return { kind: 'LOST' as const };
      });
      // FAILED was the last attempt: the study stays without a result. RETRY and LOST (the job is, or will be once
      // the lease runs out, another claim's) still expect one.
      (outcome.kind === 'FAILED' ? this.log.error : this.log.warn)(
        `job ${job.id} attempt ${job.attempts}/${job.maxAttempts} failed (${error.code}: ${message}): ${outcome.kind}`,
      );
      if (outcome.kind === 'FAILED') {
        await audit.append(SYSTEM_ACTOR, {
          action: 'study.analyze',
          outcome: 'FAILURE',
          resourceType: 'InferenceJob',
          resourceId: job.id,
          studyId: job.studyId,
          details: { attempts: job.attempts, code: error.code, message },
        });
      }
      if (outcome.kind !== 'LOST') this.publish(job.studyId, 'STATUS', outcome.kind === 'FAILED' ? 'FAILED' : 'QUEUED');
      return { jobId: job.id, studyId: job.studyId, kind: outcome.kind, code: error.code, message };
    } finally {
      loaded?.release();
      clearInterval(heartbeat);
      this.active.delete(job.id);
    }
  }
}

function roundTimings(t: JobTimings): Record<keyof JobTimings, number> {
  return {
    claimedAt: t.claimedAt,
    modelLoadMs: Math.round(t.modelLoadMs),
    readMs: Math.round(t.readMs),
    inferMs: Math.round(t.inferMs),
    writeMs: Math.round(t.writeMs),
    resultObjectsMs: Math.round(t.resultObjectsMs),
    totalMs: Math.round(t.totalMs),
  };
}
