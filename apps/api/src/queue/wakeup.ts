import pg from 'pg';

/** What an idle worker sleeps on: a wake-up when a job is queued, or the poll interval, whichever comes first. */
export interface JobWakeup {
  /** Resolves after `ms`, or earlier when a job was queued (or already was since the last wait). */
  wait(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** SQLite (one host): nothing pushes, the worker polls; a claim attempt is one indexed read. */
export function pollingWakeup(): JobWakeup {
  const sleepers = new Set<() => void>();
  return {
    wait: (ms) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      }),
    async close() {
      for (const done of [...sleepers]) done();
    },
  };
}

export const JOB_CHANNEL = 'ich_inference_jobs';
/** Notified by the SendJob trigger (see the result_destinations migration) when a send becomes claimable. */
export const SEND_CHANNEL = 'ich_send_jobs';

/**
 * PostgreSQL: LISTEN on the channel a queue table's trigger notifies (InferenceJob: the queue_worker migration), on a
 * connection of its own. A lost connection is re-opened after a second; meanwhile the poll interval still finds jobs.
 */
export function postgresWakeup(
  databaseUrl: string,
  log: (line: string) => void = () => {},
  channel: typeof JOB_CHANNEL | typeof SEND_CHANNEL = JOB_CHANNEL,
): JobWakeup {
  // A notification with nobody waiting is remembered, so a worker finishing a job does not sleep past it.
  let pending = false;
  const waiters = new Set<() => void>();
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const wake = () => {
    if (waiters.size === 0) pending = true;
    for (const w of [...waiters]) w();
  };

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', wake);
    c.on('error', (error) => {
      log(`job wake-up connection lost (${error.message}); reconnecting`);
      void c.end().catch(() => undefined);
      if (client === c) client = undefined;
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      client = c;
      // Jobs may have been queued while disconnected.
      wake();
    } catch (error) {
      log(`job wake-up cannot listen (${(error as Error).message}); retrying`);
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1000);
    }
  };
  const ready = connect();

  return {
    async wait(ms) {
      await ready;
      if (pending) {
        pending = false;
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      for (const w of [...waiters]) w();
      await client?.end().catch(() => undefined);
    },
  };
}
