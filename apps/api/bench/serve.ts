/**
 * The benchmark's server process: the real API (buildApi + createServer) over DATABASE_URL, plus one bench-only
 * reference route, `GET /bench/raw-worklist`, that runs the worklist's first page as one raw SQL query with no
 * authentication, authorization, audit or GraphQL; and `GET /bench/cpu`, the process's CPU time so far. Prints
 * `{"port":N}` once listening.
 */
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

const config = loadConfig({ ...process.env, NODE_ENV: 'production', API_PORT: '4000' });
const db = await createDatabaseClient(config.databaseUrl);
const api = buildApi({ config, db });
const app = await createServer({
  config,
  version: 'bench',
  pingDatabase: async () => {},
  mount: async (a) => {
    // The server's own CPU time (user + system, microseconds): the bench divides its growth over a scenario by the
    // requests served, a cost per request that other load on a shared machine skews far less than latency does.
    a.get('/bench/cpu', (_req, res) => {
      const { user, system } = process.cpuUsage();
      res.json({ micros: user + system });
    });
    a.get('/bench/raw-worklist', async (_req, res) => {
      const rows = await db.prisma.$queryRawUnsafe<unknown[]>(RAW_WORKLIST_SQL);
      res.json({ rows: rows.length, data: rows });
    });
    await api.mount(a);
  },
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void api.close().then(() => db.close()).then(() => process.exit(0));
});
