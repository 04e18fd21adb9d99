import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { AppError, exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import { buildApi } from './app.js';
import { AuditLog, SYSTEM_ACTOR } from './audit/audit-log.js';
import { loadCheckpointKey } from './audit/checkpoint.js';
import { ensureFirstAdmin } from './bootstrap/first-admin.js';
import { registerModelDir } from './bootstrap/model-registry.js';
import { type Config, loadConfig } from './config/env.js';
import { createDatabaseClient, type DatabaseClient, prepareDatabase } from './db/index.js';
import { createStudyEvents } from './events/create-study-events.js';
import { stopOnSignals } from './lifecycle/shutdown.js';
import { superviseWorkers } from './lifecycle/supervise-workers.js';
import { configureLogging, log } from './log/logger.js';
import { createServer, httpServerFor } from './server.js';

/**
 * The API process: validate configuration, migrate the database, make sure an admin and an active model exist, then
 * serve. Each step fails fast with one coded line, e.g. `error: BAD_CONFIG: API_PORT: ...`, and that code's exit
 * status. With API_WORKERS > 1 this process does the one-time steps, then forks workers that share the port.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  configureLogging({ level: config.logLevel, tag: 'api' });
  if (cluster.isWorker) {
    // The primary has migrated and bootstrapped; a worker only connects and serves. The primary coordinates
    // shutdown with SIGTERM, so a terminal's Ctrl-C (sent to the whole process group) is left to it.
    process.on('SIGINT', () => {});
    await serve(config, await createDatabaseClient(config.databaseUrl, { variable: 'DATABASE_URL' }), ['SIGTERM']);
    return;
  }
  const db = await prepareDatabase(config.databaseUrl, {
    variable: 'DATABASE_URL',
    log: log.info,
  });
  await bootstrap(config, db);
  if (config.apiWorkers > 1) {
    await db.close();
    log.info(`starting ${config.apiWorkers} workers on http://${config.apiHost}:${config.apiPort}`);
    superviseWorkers(config.apiWorkers);
    return;
  }
  await serve(config, db, ['SIGINT', 'SIGTERM']);
}

/** One-time start-up steps, audited as the SYSTEM actor. */
async function bootstrap(config: Config, db: DatabaseClient): Promise<void> {
  const audit = new AuditLog(db.prisma, db.provider, {
    key: loadCheckpointKey(config.auditKeyFile),
    file: config.auditCheckpointFile,
  });
  const admin = await ensureFirstAdmin(db.prisma, { email: config.adminEmail, password: config.adminPassword });
  if (admin.created) {
    // At every LOG_LEVEL: this line is the only place the generated password is ever shown (log.always).
    log.always(
      admin.generatedPassword
        ? `created first admin ${admin.email} with password ${admin.generatedPassword} (shown once; change it after signing in)`
        : `created first admin ${admin.email} with the password from ICH_ADMIN_PASSWORD`,
    );
    await audit.append(SYSTEM_ACTOR, {
      action: 'user.create',
      resourceType: 'User',
      resourceId: admin.userId,
      details: { email: admin.email, role: 'ADMIN', reason: 'first admin at start-up' },
    });
  }
  const model = await registerModelDir(db.prisma, audit, config.modelDir, log.info);
  // An untrained model answers every study with meaningless scores: worth a warning, not just a note.
  (model.status === 'untrained' ? log.warn : log.info)(
    `model ${model.name}@${model.version}${model.status === 'untrained' ? ' (UNTRAINED: outputs are meaningless)' : ''}${model.source === 'shipped' ? ' (the shipped demo model: synthetic phantoms only, not for clinical use)' : ''}${model.registered ? ' registered' : ''}${model.activated ? ' and activated' : ''}`,
  );
  await audit.checkpoint();
}

async function serve(config: Config, db: DatabaseClient, signals: NodeJS.Signals[]): Promise<void> {
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  const events = createStudyEvents(db, {
    databaseUrl: config.databaseUrl,
    pollMs: config.eventsPollMs,
    log: log.warn,
  });
  const api = buildApi({ config, db, events });
  const app = await createServer({ config, version, pingDatabase: () => db.ping(), mount: (app) => api.mount(app) });
  const server = httpServerFor(app, config.httpTimeouts).listen(config.apiPort, config.apiHost);
  api.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new AppError('BAD_CONFIG', `API_PORT: port ${config.apiPort} is already in use`)
          : error,
      ),
    );
  });
  const who = cluster.isWorker ? `worker ${process.pid}` : 'listening';
  log.info(
    `${who} on http://${config.apiHost}:${config.apiPort} (GraphQL /graphql with subscriptions over WebSocket, health /healthz, /readyz)`,
  );
  stopOnSignals(server, [() => db.close(), () => events.close(), () => api.close()], {
    signals,
    beforeClose: () => api.detach(),
  });
}

main().catch((thrown: unknown) => {
  // The process's exit message (`error: CODE: ...`, as the CLIs print it), not a log line: printed at every level,
  // including when LOG_LEVEL itself is what failed validation.
  const error = toAppError(thrown);
  console.error(formatCliError(error));
  if (error.code === 'INTERNAL') console.error(thrown);
  process.exit(exitStatusFor(error.code));
});
