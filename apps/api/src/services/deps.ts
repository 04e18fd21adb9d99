import type { AuditLog } from '../audit/audit-log.js';
import type { Db, DbProvider } from '../db/records.js';
import type { SqlReader } from '../db/sql-reader.js';
import type { StudyEvents } from '../events/study-events.js';

/** Password hashing is injected so tests can use cheaper argon2 parameters without weakening production's. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * Failed logins counted over a sliding window, per account (since its last successful login) and per client
 * address, so neither guessing one account's password nor spraying many accounts from one address is practical.
 */
export interface LoginThrottle {
  windowMs: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottle = {
  windowMs: 15 * 60_000,
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 30,
};

/** What every service shares; built once per process in app.ts. */
export interface ServiceDeps {
  prisma: Db;
  provider: DbProvider;
  audit: AuditLog;
  passwords: PasswordHasher;
  sessionTtlMs: number;
  throttle: LoginThrottle;
  /** Study arrivals, status changes and results, for live worklist and viewer updates. */
  events: StudyEvents;
  /** Prepared SQL for the worklist page (WORKLIST_FAST_PATH); absent, the worklist goes through Prisma. */
  worklist?: SqlReader;
  /** Destinations: the key that seals their secrets, attempts per send, the connection test's time limit. */
  destinations: { secretKey: Buffer; maxAttempts: number; timeoutMs: number };
}
