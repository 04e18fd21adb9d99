import path from 'node:path';
import { createDatabaseClient } from '../src/db/index.js';

/** The worklist page the web app asks for (first 50 by default): what the load checks and the profile send. */
export const WORKLIST_QUERY = `query Worklist($first: Int, $after: String, $filter: StudyFilter) {
  studies(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id status triage priority anyScore positiveLabels reviewed receivedAt accessionNumber description
      patient { name patientId sex }
      prediction { any epidural intraparenchymal intraventricular subarachnoid subdural modelVersion { version } }
    } }
  }
}`;

export interface ScratchDatabase {
  provider: 'sqlite' | 'postgresql';
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one run: a SQLite file in `dir`, or, given a PostgreSQL URL, a scratch database created next to
 * it on the same server (dropped by `drop`).
 */
export async function scratchDatabase(dir: string, postgres: string | null): Promise<ScratchDatabase> {
  if (!postgres) return { provider: 'sqlite', url: `file:${path.join(dir, 'bench.db')}`, drop: async () => {} };
  const name = `ich_bench_${Date.now()}_${process.pid}`;
  const admin = await createDatabaseClient(postgres, { variable: 'BENCH_POSTGRES_URL', maxConnections: 1 });
  await admin.prisma.$executeRawUnsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(postgres);
  url.pathname = `/${name}`;
  return {
    provider: 'postgresql',
    url: url.toString(),
    drop: async () => {
      await admin.prisma.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    },
  };
}
