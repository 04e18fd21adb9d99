import { readFileSync } from 'node:fs';
import { AppError, exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import { buildApi } from './app.js';
import { SYSTEM_ACTOR } from './audit/audit-log.js';
import { ensureFirstAdmin } from './bootstrap/first-admin.js';
import { registerModelDir } from './bootstrap/model-registry.js';
import { loadConfig } from './config/env.js';
import { prepareDatabase } from './db/index.js';
import { stopOnSignals } from './lifecycle/shutdown.js';
import { createServer } from './server.js';

/**
 * The API process: validate configuration, migrate the database, make sure an admin exists, then serve. Each step
 * fails fast with one coded line, e.g. `error: BAD_CONFIG: API_PORT: ...`, and the exit status of that code.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  const db = await prepareDatabase(config.databaseUrl, { variable: 'DATABASE_URL', log: (line) => console.log(`[api] ${line}`) });
  const admin = await ensureFirstAdmin(db.prisma, { email: config.adminEmail, password: config.adminPassword });
  if (admin.created) {
    console.log(
      admin.generatedPassword
        ? `[api] created first admin ${admin.email} with password ${admin.generatedPassword} (shown once; change it after signing in)`
        : `[api] created first admin ${admin.email} with the password from ICH_ADMIN_PASSWORD`,
    );
  }

  const api = buildApi({ config, db });
  if (admin.created) {
    await api.audit.append(SYSTEM_ACTOR, { action: 'user.create', resourceType: 'User', resourceId: admin.userId, details: { email: admin.email, role: 'ADMIN', reason: 'first admin at start-up' } });
  }
  const model = await registerModelDir(db.prisma, api.audit, config.modelDir, (line) => console.log(`[api] ${line}`));
  console.log(
    `[api] model ${model.name}@${model.version}${model.status === 'untrained' ? ' (UNTRAINED: outputs are meaningless)' : ''}${model.registered ? ' registered' : ''}${model.activated ? ' and activated' : ''}`,
  );
  const app = await createServer({
    config,
    version,
    pingDatabase: () => db.ping(),
    mount: (app) => api.mount(app),
  });
  const server = app.listen(config.apiPort, config.apiHost);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new AppError('BAD_CONFIG', `API_PORT: port ${config.apiPort} is already in use`) : error),
    );
  });
  console.log(`[api] listening on http://${config.apiHost}:${config.apiPort} (GraphQL /graphql, health /healthz, /readyz)`);
  stopOnSignals(server, [() => api.close(), () => db.close()]);
}

main().catch((thrown: unknown) => {
  const error = toAppError(thrown);
  console.error(formatCliError(error));
  if (error.code === 'INTERNAL') console.error(thrown);
  process.exit(exitStatusFor(error.code));
});
