import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { toAppError } from '@ich/errors';
import { type AuditLog, SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { Db } from '../db/records.js';
import { type Logger, silent } from '../log/logger.js';
import { ClaimLoop } from '../queue/claim-loop.js';
import type { JobWakeup } from '../queue/wakeup.js';
import { resolveStored } from '../worker/analyze-study.js';
import { resolveDestination, sendInstances } from './resolve.js';
import type { ClaimedSend, SendQueue } from './send-queue.js';

export interface SenderSettings {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  timeoutMs: number;
  /** How long a send to a disabled destination waits before it is looked at again (its attempt is not counted). */
  disabledRecheckMs: number;
}

export interface SenderDeps {
  prisma: Db;
  queue: SendQueue;
  wakeup: JobWakeup;
  audit: AuditLog;
  storageDir: string;
  /** DESTINATION_KEY_FILE's key, to open destinations' secrets. */
  secretKey: Buffer;
  settings: SenderSettings;
  /** Absent: the sender prints nothing (tests). */
  log?: Logger;
}

export type SendOutcome = {
  sendId: string;
  destinationId: string;
  sopInstanceUid: string;
  kind: 'SENT' | 'RETRY' | 'FAILED' | 'LOST' | 'POSTPONED';
  attempt: number;
  message?: string;
  /** RETRY: when the next attempt is due. */
  retryAt?: Date;
};

/**
 * Sends queued result objects to their destinations, in the worker process beside inference (sends wait on the
 * network, so they get loops of their own rather than queueing behind an analysis). Each send is audited as DICOM
 * Instances Transferred (`dicom.send`) when it ends: acknowledged, or FAILED after its last attempt.
 */
export class ResultSender {
  readonly id = `${hostname()}:${process.pid}:send-${randomUUID().slice(0, 8)}`;
  private readonly loops: ClaimLoop<ClaimedSend>;
  private readonly listeners = new Set<(outcome: SendOutcome) => void>();

  private readonly log: Logger;

  constructor(private readonly deps: SenderDeps) {
    this.log = deps.log ?? silent;
    this.loops = new ClaimLoop({
      concurrency: deps.settings.concurrency,
      wakeup: deps.wakeup,
      pollMs: deps.settings.pollMs,
      claim: () => deps.queue.claim(this.id),
      nextRunAfter: () => deps.queue.nextRunAfter(),
      process: async (send) => this.notify(await this.run(send)),
      claimFailed: (error) => this.log.warn(`send claim failed: ${toAppError(error).message}`),
      processFailed: (send, error) => {
        // The database failed mid-send: the lease runs out and another loop (or process) takes the send again.
        this.log.warn(`send ${send.id}: ${toAppError(error).message}`);
        this.notify({ sendId: send.id, destinationId: '', sopInstanceUid: '', attempt: 0, kind: 'LOST' });
      },
    });
  }

  onSend(listener: (outcome: SendOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.loops.start();
  }

  /** Stops claiming and waits for sends in flight (each is bounded by the send timeout). */
  async stop(): Promise<void> {
    await this.loops.stop();
    await this.deps.audit.flush();
  }

  private notify(outcome: SendOutcome): void {
    for (const listener of this.listeners) listener(outcome);
  }

  private async run(send: ClaimedSend): Promise<SendOutcome> {
    const { prisma, queue, audit, storageDir, secretKey, settings } = this.deps;
    const row = await prisma.sendJob.findUnique({
      where: { id: send.id },
      include: {
        destination: true,
        instance: { select: { storageKey: true, series: { select: { study: { select: { patientId: true } } } } } },
      },
    });
    if (!row) {
      // Deleted with its destination (or its study) after the claim: nothing left to send.
      return { sendId: send.id, destinationId: '', sopInstanceUid: '', attempt: send.attempts, kind: 'LOST' };
    }
    const base = {
      sendId: send.id,
      destinationId: row.destinationId,
      sopInstanceUid: row.sopInstanceUid,
      attempt: send.attempts,
    };
    if (!row.destination.enabled) {
      // A disabled destination (maintenance) keeps its queue: looked at again later, attempts not spent.
      await queue.postpone(send, new Date(Date.now() + settings.disabledRecheckMs));
      return { ...base, kind: 'POSTPONED', message: 'destination disabled' };
    }
    const heartbeat = setInterval(
      () => void queue.heartbeat(send).catch(() => undefined),
      Math.max(500, Math.floor(settings.leaseMs / 3)),
    );
    const started = performance.now();
    const auditEntry = (outcome: 'SUCCESS' | 'FAILURE', extra: Record<string, unknown>) =>
      audit.append(SYSTEM_ACTOR, {
        action: 'dicom.send',
        outcome,
        resourceType: 'SendJob',
        resourceId: send.id,
        studyId: row.studyId,
        patientId: row.instance.series.study.patientId,
        details: {
          destinationId: row.destinationId,
          destination: row.destination.name,
          protocol: row.destination.kind,
          sopInstanceUids: [row.sopInstanceUid],
          attempt: send.attempts,
          trigger: row.trigger,
          ...extra,
        },
      });
    try {
      const destination = resolveDestination(row.destination, secretKey);
      const file = resolveStored(storageDir, row.instance.storageKey);
      await sendInstances(destination, [{ sopInstanceUid: row.sopInstanceUid, file }], settings.timeoutMs);
      const durationMs = Math.round(performance.now() - started);
      const recorded = await queue.complete(send);
      await auditEntry('SUCCESS', { durationMs });
      this.log.info(
        `sent ${row.sopInstanceUid} to ${row.destination.name} in ${durationMs} ms (attempt ${send.attempts})`,
      );
      return { ...base, kind: recorded ? 'SENT' : 'LOST' };
    } catch (thrown) {
      const error = toAppError(thrown);
      const message = error.code === 'INTERNAL' && thrown instanceof Error ? thrown.message : error.message;
      const outcome = await queue.fail(send, { code: error.code, message }).catch(() => ({ kind: 'LOST' as const }));
      // FAILED was the last attempt: the PACS will not get this object unless an admin sends it again.
      (outcome.kind === 'FAILED' ? this.log.error : this.log.warn)(
        `send ${send.id} of ${row.sopInstanceUid} to ${row.destination.name} attempt ${send.attempts}/${send.maxAttempts} failed (${error.code}: ${message}): ${outcome.kind}`,
      );
      if (outcome.kind === 'FAILED') await auditEntry('FAILURE', { code: error.code, message });
      return {
        ...base,
        kind: outcome.kind,
        message,
        ...(outcome.kind === 'RETRY' ? { retryAt: outcome.runAfter } : {}),
      };
    } finally {
      clearInterval(heartbeat);
    }
  }
}
