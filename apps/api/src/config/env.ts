import path from 'node:path';
import { DEFAULTS, parseTrustedProxies, type TrustedProxies } from '@ich/config';
import { AppError } from '@ich/errors';
import { ENGINE_CHOICES, type EngineChoice } from '@ich/ml/node';
import { z } from 'zod';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel } from '../log/logger.js';

/**
 * Every environment variable the API reads, validated once at start-up. Defaults give the embedded single-machine
 * product (SQLite file, local storage, CPU) so `npm start` works on a fresh clone with no configuration.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65_535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  API_HOST: z.string().min(1).default(DEFAULTS.API_HOST),
  API_PORT: port.default(DEFAULTS.API_PORT),
  WEB_PORT: port.default(DEFAULTS.WEB_PORT),
  /** API processes sharing the port (node:cluster); more than one uses more cores for GraphQL and Prisma's JS. */
  API_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  /** The browser origin allowed by CORS (the Next.js app). */
  WEB_ORIGIN: z.url().default(DEFAULTS.WEB_ORIGIN),
  ICH_DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres:\/\/|postgresql:\/\/)/, 'must start with file: (SQLite) or postgres:// (PostgreSQL)')
    .optional(),
  STORAGE_DIR: z.string().min(1).optional(),
  MODEL_DIR: z.string().min(1).optional(),
  /** The inference engine the worker loads the model with; the same choices as `ich-ml predict --engine`. */
  ICH_ENGINE: z.enum(ENGINE_CHOICES as [EngineChoice, ...EngineChoice[]]).default('auto'),
  ICH_ADMIN_EMAIL: z.email().default('admin@ich.local'),
  /** Optional: without it a strong password is generated and printed once when the first admin is created. */
  ICH_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /**
   * Proxies whose X-Forwarded-For is believed (IPs, CIDR ranges, loopback/linklocal/uniquelocal). The default is the
   * web app's proxy on the same host; anyone else's claimed address is ignored and their socket address is used.
   */
  TRUSTED_PROXIES: z
    .string()
    .default(DEFAULTS.TRUSTED_PROXIES)
    .superRefine((value, ctx) => {
      try {
        parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** The HMAC key for audit checkpoints; created (0600) when missing. Keep it, and back it up, apart from the database. */
  AUDIT_KEY_FILE: z.string().min(1).optional(),
  /** Where signed checkpoints of the audit chain's head are appended (outside the database). */
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  /** Minutes between audit checkpoints (one is also written at start-up, at shutdown and with each export); 0: off. */
  AUDIT_CHECKPOINT_MINUTES: z.coerce.number().min(0).max(1440).default(5),
  AUDIT_VERIFY_MINUTES: z.coerce.number().min(0).max(10080).default(60),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  /** Automatic logoff: a browser session unused this long ends (HIPAA §164.312(a)(2)(iii)). */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(30),
  GRAPHQL_INTROSPECTION: booleanFlag.optional(),
  /**
   * The worklist's fast path: one prepared SQL statement per page and a compiled (graphql-jit) executor for queries.
   * `false` serves it through Prisma's query engine and graphql-js instead (the reference the load check compares to).
   */
  WORKLIST_FAST_PATH: booleanFlag.default(true),
  /** A client must send its request headers within this many seconds. */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(15),
  /** A client must send its whole request (an upload included) within this many seconds; then 408. */
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(120),
  MAX_UPLOAD_MB: z.coerce.number().int().positive().max(10_240).default(1024),
  /** DICOMweb STOW-RS: a study is queued once it has received no instance for this long (like Orthanc's StableAge). */
  STABLE_SECONDS: z.coerce.number().min(0.1).max(3600).default(3),
  /** Hours between passes of the storage garbage collector (unreferenced objects, abandoned temp files); 0: off. */
  STORAGE_GC_HOURS: z.coerce.number().min(0).max(720).default(24),
  /** The collector never removes an object or temporary file modified within this many minutes. */
  STORAGE_GC_GRACE_MINUTES: z.coerce.number().min(1).max(10_080).default(60),
  /** The least severe log line the API and the worker print (src/log/logger.ts). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  /** Jobs one worker process runs at once. Inference already uses every core, so more than 1 rarely helps on CPU. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** How long a claimed job stays a worker's without a heartbeat; a crashed worker's job is claimable after it. */
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(2).max(3_600).default(30),
  /** How often an idle worker looks for jobs when no wake-up arrives (PostgreSQL wakes it at once via NOTIFY). */
  WORKER_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(250),
  /** First retry delay after a failed attempt; doubled for each further attempt. */
  WORKER_RETRY_BACKOFF_SECONDS: z.coerce.number().min(0).max(3_600).default(5),
  /** On SIGTERM, how long a running job may take to finish before it is released for another worker. */
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
  /** Attempts per send of a result object to a destination before it is FAILED (and shown to admins). */
  SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** First retry delay after a failed send; doubled for each further attempt (30 s → 1, 2, 4 min with 5 attempts). */
  SEND_RETRY_BACKOFF_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  /** One STOW-RS request or C-STORE association may take this long before the attempt counts as failed. */
  SEND_TIMEOUT_SECONDS: z.coerce.number().positive().max(3_600).default(60),
  /** Sends one worker process runs at once (they wait on the network, not the CPU). */
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** The AES-256 key that encrypts destinations' passwords and tokens; created (0600) when missing. */
  DESTINATION_KEY_FILE: z.string().min(1).optional(),
  /** SQLite only: how often each process reads other processes' study events (live updates). */
  EVENTS_POLL_MS: z.coerce.number().int().min(10).max(10_000).default(100),
});

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  apiHost: string;
  apiPort: number;
  webPort: number;
  apiWorkers: number;
  webOrigin: string;
  dataDir: string;
  databaseUrl: string;
  storageDir: string;
  modelDir: string;
  engine: EngineChoice;
  adminEmail: string;
  adminPassword: string | undefined;
  sessionTtlMs: number;
  sessionIdleMs: number;
  auditKeyFile: string;
  auditCheckpointFile: string;
  auditCheckpointMs: number;
  /** Between background verifications of the whole audit chain (0: only at start-up and when asked). */
  auditVerifyMs: number;
  /** Whether an address is a proxy whose X-Forwarded-For entry is believed (TRUSTED_PROXIES). */
  trustedProxies: TrustedProxies;
  introspection: boolean;
  /** WORKLIST_FAST_PATH: prepared raw SQL for the worklist page and graphql-jit for queries. */
  worklistFastPath: boolean;
  maxUploadBytes: number;
  stableMs: number;
  storageGc: { intervalMs: number; graceMs: number };
  httpTimeouts: { headersMs: number; requestMs: number };
  logLevel: LogLevel;
  worker: WorkerSettings;
  sends: SendSettings;
  destinationKeyFile: string;
  eventsPollMs: number;
}

/** The send queue (result objects to destinations); its lease and polling follow the worker's settings. */
export interface SendSettings {
  maxAttempts: number;
  retryBackoffMs: number;
  timeoutMs: number;
  concurrency: number;
}

export interface WorkerSettings {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  retryBackoffMs: number;
  shutdownGraceMs: number;
}

/**
 * Validates the environment and derives paths. Throws BAD_CONFIG naming the first bad variable, e.g.
 * `API_PORT: Too big: expected number to be <=65535 (got "70000")`, so start-up fails fast and says what to fix.
 * Blank values count as unset: `FOO= npm start` should mean "use the default", not "invalid".
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const got = present[name];
    const shown = name.includes('PASSWORD') ? '(hidden)' : JSON.stringify(got);
    throw new AppError(
      'BAD_CONFIG',
      `${name}: ${issue?.message ?? 'invalid'}${got === undefined ? '' : ` (got ${shown})`}`,
      { variable: name },
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.ICH_DATA_DIR);
  return {
    nodeEnv: e.NODE_ENV,
    apiHost: e.API_HOST,
    apiPort: e.API_PORT,
    webPort: e.WEB_PORT,
    apiWorkers: e.API_WORKERS,
    webOrigin: e.WEB_ORIGIN.replace(/\/$/, ''),
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(dataDir, 'ich.db')}`,
    storageDir: path.resolve(cwd, e.STORAGE_DIR ?? path.join(dataDir, 'storage')),
    // The rule of @ich/ml's resolveModelDir (ich-ml uses it too): MODEL_DIR, else <ICH_DATA_DIR>/models/current. An
    // empty directory receives the shipped demo model at start-up (bootstrap/model-registry.ts).
    modelDir: path.resolve(cwd, e.MODEL_DIR ?? path.join(dataDir, 'models', 'current')),
    engine: e.ICH_ENGINE,
    adminEmail: e.ICH_ADMIN_EMAIL.toLowerCase(),
    adminPassword: e.ICH_ADMIN_PASSWORD,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    trustedProxies: parseTrustedProxies(e.TRUSTED_PROXIES),
    auditKeyFile: path.resolve(cwd, e.AUDIT_KEY_FILE ?? path.join(dataDir, 'secrets', 'audit-checkpoint.key')),
    auditCheckpointFile: path.resolve(cwd, e.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
    auditCheckpointMs: e.AUDIT_CHECKPOINT_MINUTES * 60_000,
    auditVerifyMs: e.AUDIT_VERIFY_MINUTES * 60_000,
    introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
    worklistFastPath: e.WORKLIST_FAST_PATH,
    maxUploadBytes: e.MAX_UPLOAD_MB * 1024 * 1024,
    stableMs: Math.round(e.STABLE_SECONDS * 1000),
    storageGc: { intervalMs: e.STORAGE_GC_HOURS * 3_600_000, graceMs: e.STORAGE_GC_GRACE_MINUTES * 60_000 },
    httpTimeouts: {
      headersMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestMs: Math.max(e.HTTP_REQUEST_TIMEOUT_SECONDS, e.HTTP_HEADERS_TIMEOUT_SECONDS) * 1000,
    },
    logLevel: e.LOG_LEVEL,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      leaseMs: e.WORKER_LEASE_SECONDS * 1000,
      pollMs: e.WORKER_POLL_MS,
      retryBackoffMs: e.WORKER_RETRY_BACKOFF_SECONDS * 1000,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    },
    sends: {
      maxAttempts: e.SEND_MAX_ATTEMPTS,
      retryBackoffMs: e.SEND_RETRY_BACKOFF_SECONDS * 1000,
      timeoutMs: e.SEND_TIMEOUT_SECONDS * 1000,
      concurrency: e.SEND_CONCURRENCY,
    },
    destinationKeyFile: path.resolve(cwd, e.DESTINATION_KEY_FILE ?? path.join(dataDir, 'secrets', 'destination.key')),
    eventsPollMs: e.EVENTS_POLL_MS,
  };
}
