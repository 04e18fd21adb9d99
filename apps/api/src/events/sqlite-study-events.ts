import { randomUUID } from 'node:crypto';
import type { Db } from '../db/records.js';
import type { ClosableStudyEvents } from './postgres-study-events.js';
import { createLocalStudyEvents, type StudyEvent, type StudyEventKind } from './study-events.js';

const RETAIN_MS = 60 * 60_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * SQLite (one host, several processes): events are appended to StudyEventLog and each process with subscribers
 * reads the rows after the last seq it saw every `pollMs` (one indexed read; SQLite has no push channel between
 * processes). A process delivers its own events locally at once and skips their rows. Rows older than an hour are
 * pruned by whichever process publishes.
 */
export function createSqliteStudyEvents(
  prisma: Pick<Db, 'studyEventLog'>,
  pollMs: number,
  log: (line: string) => void = () => {},
): ClosableStudyEvents {
  const origin = randomUUID();
  const local = createLocalStudyEvents();
  let timer: NodeJS.Timeout | undefined;
  let lastSeq: number | null = null;
  let lastPrune = 0;
  let closed = false;

  const poll = async () => {
    try {
      if (lastSeq === null) {
        const head = await prisma.studyEventLog.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
        lastSeq = head?.seq ?? 0;
      }
      const rows = await prisma.studyEventLog.findMany({
        where: { seq: { gt: lastSeq } },
        orderBy: { seq: 'asc' },
        take: 500,
      });
      for (const row of rows) {
        lastSeq = row.seq;
        if (row.origin === origin) continue;
        local.publish({
          kind: row.kind as StudyEventKind,
          studyId: row.studyId,
          status: row.status,
          at: row.at.toISOString(),
        });
      }
    } catch (error) {
      log(`study events poll failed: ${(error as Error).message}`);
    }
    if (!closed) timer = setTimeout(() => void poll(), pollMs);
  };

  return {
    publish(event: StudyEvent) {
      local.publish(event);
      const write = async () => {
        await prisma.studyEventLog.create({
          data: { kind: event.kind, studyId: event.studyId, status: event.status, origin, at: new Date(event.at) },
        });
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await prisma.studyEventLog.deleteMany({ where: { at: { lt: new Date(Date.now() - RETAIN_MS) } } });
        }
      };
      write().catch((error: unknown) => log(`study event not sent to other processes: ${(error as Error).message}`));
    },
    subscribe(listener) {
      if (!timer && !closed) timer = setTimeout(() => void poll(), 0);
      return local.subscribe(listener);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
