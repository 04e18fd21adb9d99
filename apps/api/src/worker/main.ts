import { exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import { AuditLog } from '../audit/audit-log.js';
import { loadSecretKey } from '../auth/secret-box.js';
import { loadConfig } from '../config/env.js';
import { createDatabaseClient } from '../db/index.js';
import { SendQueue } from '../destinations/send-queue.js';
import { ResultSender } from '../destinations/sender.js';
import { createStudyEvents } from '../events/create-study-events.js';
import { configureLogging, log } from '../log/logger.js';
import { JobQueue } from '../queue/job-queue.js';
import { pollingWakeup, postgresWakeup, SEND_CHANNEL } from '../queue/wakeup.js';
import { ActiveModel } from './active-model.js';
import { InferenceWorker } from './worker.js';

/**
 * `npm run worker`: the inference worker process. It expects a migrated database (the API migrates at start-up;
 * `npm start` starts the worker beside it), loads the active model once, then claims jobs until SIGTERM/SIGINT,
 * when it finishes or releases its job and exits. Start several on PostgreSQL (any hosts sharing STORAGE_DIR); on
 * SQLite run one.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  configureLogging({ level: config.logLevel, tag: 'worker' });
  const db = await createDatabaseClient(config.databaseUrl, { variable: 'DATABASE_URL' });
  const events = createStudyEvents(db, { databaseUrl: config.databaseUrl, pollMs: config.eventsPollMs, log: log.warn });
  const audit = new AuditLog(db.prisma, db.provider);
  const model = new ActiveModel(db.prisma, config.engine, log.info);
  const worker = new InferenceWorker({
    prisma: db.prisma,
    queue: new JobQueue(db.prisma, db.provider, config.worker),
    wakeup: db.provider === 'postgresql' ? postgresWakeup(config.databaseUrl, log.warn) : pollingWakeup(),
    model,
    events,
    audit,
    storageDir: config.storageDir,
    settings: config.worker,
    autoSend: { maxAttempts: config.sends.maxAttempts },
    log,
  });
  // Result objects go out from here too: sends wait on the network, so they have loops of their own.
  const sender = new ResultSender({
    prisma: db.prisma,
    queue: new SendQueue(db.prisma, db.provider, {
      leaseMs: config.worker.leaseMs,
      retryBackoffMs: config.sends.retryBackoffMs,
    }),
    wakeup: db.provider === 'postgresql' ? postgresWakeup(config.databaseUrl, log.warn, SEND_CHANNEL) : pollingWakeup(),
    audit,
    storageDir: config.storageDir,
    secretKey: loadSecretKey(config.destinationKeyFile),
    settings: {
      concurrency: config.sends.concurrency,
      leaseMs: config.worker.leaseMs,
      pollMs: config.worker.pollMs,
      timeoutMs: config.sends.timeoutMs,
      disabledRecheckMs: 60_000,
    },
    log,
  });
  // Load before the first job so a study does not wait for it; a model that cannot load is retried per job.
  await model.get().then(
    (loaded) => loaded.release(),
    (error: unknown) => log.warn(`model not loaded yet: ${toAppError(error).message}`),
  );
  worker.start();
  sender.start();
  log.info(
    `${worker.id} claiming jobs (${db.provider}, concurrency ${config.worker.concurrency}, lease ${config.worker.leaseMs / 1000} s)`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info(`${signal} received: finishing or releasing the running job`);
    void Promise.all([worker.stop(), sender.stop()])
      .then(async () => {
        await model.close();
        await events.close();
        await db.close();
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error('error during shutdown', error);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((thrown: unknown) => {
  // The process's exit message (`error: CODE: ...`, as the CLIs print it), not a log line: printed at every level,
  // including when LOG_LEVEL itself is what failed validation.
  const error = toAppError(thrown);
  console.error(formatCliError(error));
  if (error.code === 'INTERNAL') console.error(thrown);
  process.exit(exitStatusFor(error.code));
});
