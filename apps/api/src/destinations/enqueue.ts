import type { Db } from '../db/records.js';
import { listResultObjects } from '../results/list.js';

/** The part of a Prisma client (or of an interactive transaction) that queueing sends needs. */
export type SendWriter = Pick<Db, 'sendJob' | 'destination' | 'resultObject'>;

export interface SendRequest {
  destinationId: string;
  studyId: string;
  instances: ReadonlyArray<{ instanceId: string; sopInstanceUid: string }>;
  trigger: 'AUTO' | 'MANUAL';
  maxAttempts: number;
}

export interface QueuedSends {
  /** SendJob ids, one per instance, in the request's order. */
  ids: string[];
  /** New rows, or FAILED ones queued again. */
  queued: number;
  /** Already acknowledged by the destination: not sent again. */
  alreadySent: number;
  /** Already waiting or being sent. */
  pending: number;
}

/**
 * Queues instances for one destination, idempotently by (destination, SOP Instance UID): a new pair gets a row; a
 * FAILED row is queued again with fresh attempts (an admin's retry); QUEUED, RUNNING and DONE rows stay as they
 * are, so an instance the destination acknowledged is never sent to it twice. The unique key settles a race
 * between two enqueuers: the loser's create fails and it reads the winner's row.
 */
export async function queueSends(db: Pick<Db, 'sendJob'>, request: SendRequest): Promise<QueuedSends> {
  const result: QueuedSends = { ids: [], queued: 0, alreadySent: 0, pending: 0 };
  for (const instance of request.instances) {
    const key = { destinationId: request.destinationId, sopInstanceUid: instance.sopInstanceUid };
    let row = await db.sendJob.findUnique({ where: { destinationId_sopInstanceUid: key } });
    if (!row) {
      try {
        row = await db.sendJob.create({
          data: {
            ...key,
            studyId: request.studyId,
            instanceId: instance.instanceId,
            trigger: request.trigger,
            maxAttempts: request.maxAttempts,
          },
        });
        result.ids.push(row.id);
        result.queued += 1;
        continue;
      } catch (error) {
        row = await db.sendJob.findUnique({ where: { destinationId_sopInstanceUid: key } });
        if (!row) throw error;
      }
    }
    result.ids.push(row.id);
    if (row.status === 'DONE') result.alreadySent += 1;
    else if (row.status === 'FAILED') {
      const again = await db.sendJob.updateMany({
        where: { id: row.id, status: 'FAILED' },
        data: {
          status: 'QUEUED',
          attempts: 0,
          maxAttempts: request.maxAttempts,
          runAfter: new Date(),
          trigger: request.trigger,
        },
      });
      if (again.count === 1) result.queued += 1;
      else result.pending += 1;
    } else result.pending += 1;
  }
  return result;
}

/**
 * After the worker created a prediction's result objects (SR and summary image): queues them to every enabled
 * auto-send destination. Returns how many sends were queued. Safe to call again (idempotent per instance).
 */
export async function queueAutoSends(
  db: SendWriter,
  studyPredictionId: string,
  maxAttempts: number,
): Promise<{ destinations: number; queued: number }> {
  const objects = await listResultObjects(db, studyPredictionId);
  if (objects.length === 0) return { destinations: 0, queued: 0 };
  const destinations = await db.destination.findMany({
    where: { enabled: true, autoSend: true },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  });
  let queued = 0;
  for (const destination of destinations) {
    const sent = await queueSends(db, {
      destinationId: destination.id,
      studyId: objects[0]?.studyId as string,
      instances: objects.map((o) => ({ instanceId: o.instanceId, sopInstanceUid: o.sopInstanceUid })),
      trigger: 'AUTO',
      maxAttempts,
    });
    queued += sent.queued;
  }
  return { destinations: destinations.length, queued };
}
