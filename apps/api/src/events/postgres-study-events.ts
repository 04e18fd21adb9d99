import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../db/records.js';
import { createLocalStudyEvents, type StudyEvent, type StudyEvents } from './study-events.js';
import { parseWireEvent } from './wire.js';

export const STUDY_EVENT_CHANNEL = 'ich_study_events';

export interface ClosableStudyEvents extends StudyEvents {
  close(): Promise<void>;
}

/**
 * PostgreSQL: NOTIFY on publish, LISTEN (one connection per process, opened on the first subscriber) to hear the
 * other processes: the worker's results reach every API process, whichever of them holds a client's WebSocket.
 * A process delivers its own events locally at once and skips their echo. A NOTIFY sent inside a transaction is
 * delivered at commit, so a listener never hears of a result it cannot read yet.
 */
export function createPostgresStudyEvents(
  prisma: Pick<Db, '$executeRaw'>,
  databaseUrl: string,
  log: (line: string) => void = () => {},
): ClosableStudyEvents {
  const origin = randomUUID();
  const local = createLocalStudyEvents();
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const listen = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', (message) => {
      const event = parseWireEvent(message.payload, origin);
      if (event) local.publish(event);
    });
    c.on('error', (error) => {
      log(`study events connection lost (${error.message}); reconnecting`);
      void c.end().catch(() => undefined);
      if (client === c) client = undefined;
      if (!closed) retry = setTimeout(() => void listen(), 1000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${STUDY_EVENT_CHANNEL}`);
      client = c;
    } catch (error) {
      log(`study events cannot listen (${(error as Error).message}); retrying`);
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void listen(), 1000);
    }
  };

  return {
    publish(event: StudyEvent) {
      local.publish(event);
      const payload = JSON.stringify({ ...event, origin });
      prisma.$executeRaw`SELECT pg_notify(${STUDY_EVENT_CHANNEL}, ${payload})`.catch((error: unknown) =>
        log(`study event not sent to other processes: ${(error as Error).message}`),
      );
    },
    subscribe(listener) {
      if (!listening) {
        listening = true;
        void listen();
      }
      return local.subscribe(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
