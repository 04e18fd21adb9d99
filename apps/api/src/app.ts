import type { Server } from 'node:http';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Request, type Response } from 'express';
import { AuditLog } from './audit/audit-log.js';
import { loadCheckpointKey } from './audit/checkpoint.js';
import type { Caller } from './auth/caller.js';
import { createPasswordHasher } from './auth/password.js';
import { loadSecretKey } from './auth/secret-box.js';
import { clearedSessionCookie, sessionCookie } from './auth/session-cookie.js';
import type { Config } from './config/env.js';
import type { RequestContext } from './context/request-context.js';
import { resolveCaller } from './context/resolve-caller.js';
import type { Db, DbProvider } from './db/records.js';
import type { SqlReader } from './db/sql-reader.js';
import { dicomWebRouter } from './dicomweb/router.js';
import { createLocalStudyEvents, type StudyEvents } from './events/study-events.js';
import { createApolloServer } from './graphql/apollo.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './graphql/query-limits.js';
import { buildSchema } from './graphql/schema.js';
import { attachSubscriptions } from './graphql/subscriptions.js';
import { auditExportRouter } from './http/audit-export.js';
import { corsForOrigin, noStore } from './http/cors.js';
import { auditRefusals, DEFAULT_REFUSAL_LIMITS, RefusalLimiter, type RefusalLimits } from './http/refusal-audit.js';
import { uploadsRouter } from './http/uploads.js';
import { IngestService } from './ingest/ingest-service.js';
import { IntakePool } from './ingest/intake-pool.js';
import { StableStudySweep } from './ingest/stable-sweep.js';
import { log } from './log/logger.js';
import type { SessionCookieJar } from './services/auth.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottle, type PasswordHasher, type ServiceDeps } from './services/deps.js';
import { createServices, type Services } from './services/index.js';
import { ContentStore } from './storage/content-store.js';
import { StorageGarbageCollector } from './storage/garbage-collect.js';

export interface ApiOptions {
  config: Pick<
    Config,
    | 'storageDir'
    | 'maxUploadBytes'
    | 'stableMs'
    | 'nodeEnv'
    | 'webOrigin'
    | 'sessionTtlMs'
    | 'introspection'
    | 'trustedProxies'
    | 'auditKeyFile'
    | 'auditCheckpointFile'
    | 'auditCheckpointMs'
    | 'auditVerifyMs'
    | 'sessionIdleMs'
    | 'storageGc'
    | 'worklistFastPath'
    | 'destinationKeyFile'
    | 'sends'
  >;
  /** `reader` (DatabaseClient's) serves the worklist's fast path when config.worklistFastPath is on. */
  db: { prisma: Db; provider: DbProvider; reader?: SqlReader };
  /** Password hashing (argon2id). Production uses the defaults; tests pass `createPasswordHasher(LOW_COST_PASSWORD_PARAMS)`. */
  passwords?: PasswordHasher;
  throttle?: LoginThrottle;
  limits?: QueryLimits;
  /** How many refused plain-HTTP requests are audited (DEFAULT_REFUSAL_LIMITS). */
  refusalLimits?: RefusalLimits;
  /** JSON body limit for /graphql; a query is small, so this is far below the upload limit. */
  graphqlBodyLimit?: string;
  /** Where study events go; defaults to delivery inside this process. */
  events?: StudyEvents;
}

export interface Api {
  /** Mounts /graphql and /api/audit/export on the app (pass as createServer's `mount`). */
  mount(app: Express): Promise<void>;
  /** Serves GraphQL subscriptions (graphql-ws) on the server's /graphql upgrade requests. */
  attach(server: Server): void;
  /** Closes every subscription connection (before the HTTP server stops, at shutdown). */
  detach(): Promise<void>;
  /**
   * Closes subscriptions, stops Apollo, waits for pending audit appends and writes a last audit checkpoint. Does not
   * close the database or the event channel (their owner does).
   */
  close(): Promise<void>;
  /** The process's single audit appender, for other routes (uploads, DICOMweb, frames) to record access. */
  audit: AuditLog;
  /** The process's study event channel (arrivals, status changes, results). */
  events: StudyEvents;
  /** Caller (principal + address) and services for a request, for other routes that need authorization. */
  servicesFor(req: Request, res?: Response): Promise<{ caller: Caller; services: Services }>;
  /** Instances by content hash under STORAGE_DIR. */
  store: ContentStore;
  /** The one ingest path (uploads and STOW-RS). */
  ingest: IngestService;
  /** Queues STOW-RS studies once they have been quiet for STABLE_SECONDS. */
  stableSweep: StableStudySweep;
  /** Removes stored objects no instance references, every STORAGE_GC_HOURS. */
  storageGc: StorageGarbageCollector;
}

const GRAPHQL_MAX_TOKENS = 5_000;

/**
 * The composition root of the GraphQL API: one audit appender and one Apollo server per process; per request, a
 * caller and services bound to it.
 */
export function buildApi(options: ApiOptions): Api {
  const { config, db } = options;
  const audit = new AuditLog(db.prisma, db.provider, {
    key: loadCheckpointKey(config.auditKeyFile),
    file: config.auditCheckpointFile,
  });
  const deps: ServiceDeps = {
    prisma: db.prisma,
    provider: db.provider,
    audit,
    passwords: options.passwords ?? createPasswordHasher(),
    sessionTtlMs: config.sessionTtlMs,
    throttle: options.throttle ?? DEFAULT_LOGIN_THROTTLE,
    events: options.events ?? createLocalStudyEvents(),
    ...(config.worklistFastPath && db.reader ? { worklist: db.reader } : {}),
    destinations: {
      secretKey: loadSecretKey(config.destinationKeyFile),
      maxAttempts: config.sends.maxAttempts,
      timeoutMs: config.sends.timeoutMs,
    },
  };
  const secureCookie = config.nodeEnv === 'production';
  const schema = buildSchema();
  const limits = options.limits ?? DEFAULT_QUERY_LIMITS;
  const apollo = createApolloServer({
    introspection: config.introspection,
    limits,
    maxTokens: GRAPHQL_MAX_TOKENS,
    schema,
    compiledQueries: config.worklistFastPath,
  });

  const cookieJar = (res: Response | undefined): SessionCookieJar => ({
    set: (token, expiresAt) => res?.append('Set-Cookie', sessionCookie(token, expiresAt, secureCookie)),
    clear: () => res?.append('Set-Cookie', clearedSessionCookie(secureCookie)),
  });

  // The caller each request resolved, for auditing a refusal after the route has thrown.
  const callers = new WeakMap<Request, Caller>();
  const servicesFor = async (req: Request, res?: Response) => {
    const caller = await resolveCaller(deps, req, config.trustedProxies, config.sessionIdleMs);
    callers.set(req, caller);
    return { caller, services: createServices(deps, caller, cookieJar(res)) };
  };

  const store = new ContentStore(config.storageDir);
  const intake = new IntakePool(config.storageDir);
  const ingest = new IngestService({ prisma: db.prisma, provider: db.provider, store, audit, events: deps.events });
  const stableSweep = new StableStudySweep({
    prisma: db.prisma,
    events: deps.events,
    stableMs: config.stableMs,
    log: log.warn,
  });

  const storageGc = new StorageGarbageCollector({
    store,
    referenced: async (contentHashes) => {
      const rows = await db.prisma.instance.findMany({
        where: { contentHash: { in: [...contentHashes] } },
        select: { contentHash: true },
      });
      return new Set(rows.map((r) => r.contentHash));
    },
    graceMs: config.storageGc.graceMs,
    intervalMs: config.storageGc.intervalMs,
    log,
  });

  let started = false;
  const detachers: Array<() => Promise<void>> = [];
  return {
    audit,
    events: deps.events,
    servicesFor,
    store,
    ingest,
    stableSweep,
    storageGc,
    attach(server) {
      detachers.push(
        attachSubscriptions(server, {
          schema,
          deps,
          // A WebSocket sets no cookies: login and logout stay on POST /graphql.
          servicesFor: (caller) => createServices(deps, caller, cookieJar(undefined)),
          limits,
          maxTokens: GRAPHQL_MAX_TOKENS,
          webOrigin: config.webOrigin,
          trustedProxies: config.trustedProxies,
          sessionIdleMs: config.sessionIdleMs,
        }),
      );
    },
    async mount(app) {
      await store.init();
      await apollo.start();
      started = true;
      stableSweep.start();
      storageGc.start();
      audit.startCheckpoints(config.auditCheckpointMs);
      audit.startVerification(config.auditVerifyMs);
      const cors = corsForOrigin(config.webOrigin);
      app.use(
        '/graphql',
        cors,
        noStore,
        express.json({ limit: options.graphqlBodyLimit ?? '100kb' }),
        expressMiddleware<RequestContext>(apollo, { context: ({ req, res }) => servicesFor(req, res) }),
      );
      app.use('/api/audit', cors);
      app.use(auditExportRouter({ servicesFor }));
      app.use('/api/uploads', cors);
      app.use(uploadsRouter({ servicesFor, ingest, store, maxUploadBytes: config.maxUploadBytes }));
      app.use(
        '/dicom-web',
        dicomWebRouter({
          servicesFor,
          ingest,
          store,
          intake,
          audit,
          prisma: db.prisma,
          maxUploadBytes: config.maxUploadBytes,
        }),
      );
      app.use(
        ['/api/uploads', '/api/audit', '/dicom-web'],
        auditRefusals({
          audit,
          callerOf: (req) => callers.get(req),
          trustedProxies: config.trustedProxies,
          limiter: new RefusalLimiter(options.refusalLimits ?? DEFAULT_REFUSAL_LIMITS),
        }),
      );
    },
    async detach() {
      for (const detach of detachers.splice(0)) await detach();
    },
    async close() {
      await stableSweep.stop();
      await storageGc.stop();
      for (const detach of detachers.splice(0)) await detach();
      if (started) await apollo.stop();
      await audit.flush();
      await audit.stopCheckpoints();
      await intake.close();
    },
  };
}
