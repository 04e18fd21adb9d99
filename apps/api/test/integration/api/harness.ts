import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@ich/prisma';
import { createTestDatabase, type Provider } from '@ich/testkit';
import { type Api, buildApi } from '../../../src/app.js';
import { type Config, loadConfig } from '../../../src/config/env.js';
import { prepareDatabase } from '../../../src/db/index.js';
import type { StudyEvents } from '../../../src/events/study-events.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '../../../src/graphql/query-limits.js';
import { createServer } from '../../../src/server.js';
import type { LoginThrottle } from '../../../src/services/deps.js';
import { testPasswords } from '../../factories/index.js';

export { PROVIDERS, type Provider } from '@ich/testkit';

export const WEB_ORIGIN = 'http://localhost:3000';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors:
    | Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [k: string]: unknown } }>
    | undefined;
  text: string;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as the Cookie header. */
  cookie?: string;
  headers?: Record<string, string>;
  /**
   * The source address of the connection (e.g. 127.0.0.2): distinct loopback addresses stand for distinct machines.
   * Without it requests come from 127.0.0.1, which the default TRUSTED_PROXIES treats as the web app's proxy.
   */
  from?: string;
}

export interface TestApi {
  provider: Provider;
  url: string;
  databaseUrl: string;
  prisma: PrismaClient;
  api: Api;
  /** The configured STORAGE_DIR (absolute). */
  storageDir: string;
  /** The API's configuration (e.g. auditKeyFile, auditCheckpointFile inside the test's data folder). */
  config: Config;
  operations: OperationCounter;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphQLResult<T>>;
  /** Signs in over GraphQL and returns the session token. */
  login(email: string, password: string, options?: RequestOptions): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  throttle?: LoginThrottle;
  limits?: QueryLimits;
  introspection?: boolean;
  nodeEnv?: 'test' | 'production';
  /** Further environment for loadConfig (e.g. STORAGE_DIR, MAX_UPLOAD_MB, STABLE_SECONDS). */
  env?: Record<string, string>;
  /** The study event channel; defaults to buildApi's in-process one. Worker tests pass the cross-process one. */
  events?: (db: { prisma: PrismaClient; provider: Provider; url: string }) => StudyEvents;
  /** TRUSTED_PROXIES for this API (default: the product default). */
  trustedProxies?: string;
  /** Serve another TestApi's database (neither created nor dropped here): two configurations over the same rows. */
  databaseUrl?: string;
}

/** Counts Prisma operations the API issues (each model call; a dataloader batch is one). */
export interface OperationCounter {
  count: number;
}

/**
 * The real Express app (health routes + GraphQL + exports) on an ephemeral 127.0.0.1 port, over a fresh database:
 * a new SQLite file, or a uniquely named PostgreSQL database that is dropped afterwards. Migrations are applied the
 * way start-up applies them (prepareDatabase).
 */
export async function startApi(provider: Provider, options: StartOptions = {}): Promise<TestApi> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-api-test-'));
  const target = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await createTestDatabase(provider, 'api');
  const databaseUrl = target.url;
  const db = await prepareDatabase(databaseUrl);
  const config = loadConfig({
    NODE_ENV: options.nodeEnv ?? 'test',
    DATABASE_URL: databaseUrl,
    ICH_DATA_DIR: dir,
    WEB_ORIGIN,
    ...(options.trustedProxies === undefined ? {} : { TRUSTED_PROXIES: options.trustedProxies }),
    ...(options.introspection === undefined ? {} : { GRAPHQL_INTROSPECTION: String(options.introspection) }),
    ...options.env,
  });
  const operations: OperationCounter = { count: 0 };
  // The API gets a client that counts its operations; the extension changes nothing else about the queries.
  const counted = db.prisma.$extends({
    query: {
      $allModels: {
        $allOperations({ args, query }) {
          operations.count += 1;
          return query(args);
        },
      },
    },
  }) as unknown as PrismaClient;
  const api = buildApi({
    config,
    db: { prisma: counted, provider: db.provider, reader: db.reader },
    passwords: testPasswords,
    limits: options.limits ?? DEFAULT_QUERY_LIMITS,
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.events ? { events: options.events({ prisma: db.prisma, provider, url: databaseUrl }) } : {}),
  });
  const app = await createServer({ config, version: 'test', pingDatabase: async () => {}, mount: (a) => api.mount(a) });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  api.attach(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const gql = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    opts: RequestOptions = {},
  ): Promise<GraphQLResult<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.cookie) headers['cookie'] = opts.cookie;
    const body = JSON.stringify({ query, variables });
    const response = opts.from
      ? await postFrom(opts.from, `${url}/graphql`, headers, body)
      : await fetch(`${url}/graphql`, { method: 'POST', headers, body });
    const text = await response.text();
    let parsed: { data?: T | null; errors?: GraphQLResult['errors'] } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Non-JSON bodies are asserted on through `text`.
    }
    return { status: response.status, headers: response.headers, data: parsed.data, errors: parsed.errors, text };
  };

  return {
    provider,
    url,
    databaseUrl,
    prisma: db.prisma,
    api,
    storageDir: config.storageDir,
    config,
    operations,
    gql,
    async login(email, password, opts = {}) {
      const r = await gql<{ login: { token: string } }>(
        'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
        { e: email, p: password },
        opts,
      );
      if (!r.data?.login) throw new Error(`login failed: ${JSON.stringify(r.errors)}`);
      return r.data.login.token;
    },
    async close() {
      await api.detach();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await api.close();
      await db.close();
      await target.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `extensions.code` of every error, for compact assertions. */
export function codes(result: GraphQLResult): string[] {
  return (result.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
}

/** A POST whose connection leaves from `localAddress` (fetch cannot choose its source address). */
export function postFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Headers; text(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: out, text: async () => text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
