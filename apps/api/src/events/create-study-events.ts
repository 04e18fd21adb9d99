import type { Db, DbProvider } from '../db/records.js';
import { type ClosableStudyEvents, createPostgresStudyEvents } from './postgres-study-events.js';
import { createSqliteStudyEvents } from './sqlite-study-events.js';

/** The cross-process study event channel for the configured database (see docs/architecture.md, "Live updates"). */
export function createStudyEvents(
  db: { prisma: Db; provider: DbProvider },
  options: { databaseUrl: string; pollMs: number; log?: (line: string) => void },
): ClosableStudyEvents {
  return db.provider === 'postgresql'
    ? createPostgresStudyEvents(db.prisma, options.databaseUrl, options.log)
    : createSqliteStudyEvents(db.prisma, options.pollMs, options.log);
}
