/**
 * The benchmark's server process: the real API (buildApi + createServer) over DATABASE_URL, plus one bench-only
 * reference route, `GET /bench/raw-worklist`, that runs the worklist's first page as one raw SQL query with no
 * authentication, authorization, audit or GraphQL; and `GET /bench/cpu`, the process's CPU time so far. Prints
 * `{"port":N}` once listening.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { createDatabaseClient } from '../src/db/index.js';
import { createServer } from '../src/server.js';

export const RAW_WORKLIST_SQL = `
SELECT s."id", s."priority", s."status", s."triage", s."anyScore", s."positiveLabels", s."receivedAt", s."reviewed",
       s."description", s."accessionNumber", p."name", p."patientId", sp."any", mv."version"
FROM "Study" s
JOIN "Patient" p ON p."id" = s."patientId"
LEFT JOIN "StudyPrediction" sp ON sp."studyId" = s."id"
LEFT JOIN "ModelVersion" mv ON mv."id" = sp."modelVersionId"
ORDER BY s."priority" DESC, s."receivedAt" ASC, s."id" ASC
LIMIT 50`;

// BENCH_WORKERS > 1 measures the API as `API_WORKERS` runs it: node:cluster workers sharing one port. The primary
// only forwards connections; it prints the port once the first worker listens (all share the same random port).
const workers = Number(process.env['BENCH_WORKERS'] ?? '1');
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  let printed = false;
  cluster.on('listening', (_worker, address) => {
    if (printed) return;
    printed = true;
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  });
} else {
  await serveOne();
}

async function serveOne(): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'production', API_PORT: '4000' });
  const db = await createDatabaseClient(config.databaseUrl);
  const api = buildApi({ config, db });
  const app = await createServer({
    config,
    version: 'bench',
    pingDatabase: async () => {},
    mount: async (a) => {
      a.get('/bench/raw-worklist', async (_req, res) => {
        const rows = await db.prisma.$queryRawUnsafe<unknown[]>(RAW_WORKLIST_SQL);
        res.json({ rows: rows.length, data: rows });
      });
      await api.mount(a);
    },
  });
  const server = app.listen(0, '127.0.0.1', () => {
    if (cluster.isPrimary)
      process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void api
      .close()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
}
