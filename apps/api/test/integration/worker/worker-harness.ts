import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel } from '@ich/ml/node';
import type { PrismaClient } from '@ich/prisma';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { registerModelDir } from '../../../src/bootstrap/model-registry.js';
import type { WorkerSettings } from '../../../src/config/env.js';
import type { StudyEvents } from '../../../src/events/study-events.js';
import { JobQueue } from '../../../src/queue/job-queue.js';
import { pollingWakeup, postgresWakeup } from '../../../src/queue/wakeup.js';
import { ActiveModel } from '../../../src/worker/active-model.js';
import { InferenceWorker } from '../../../src/worker/worker.js';
import type { Provider } from '../api/harness.js';

const apiRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Two small real models (InceptionV3 at 75 px, ONNX exported), different seeds so their outputs differ. */
export async function buildTestModels(): Promise<{ a: string; b: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ich-worker-models-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  await initModel({ out: a, inputSize: 75, seed: 11, onnx: true });
  await initModel({ out: b, inputSize: 75, seed: 12, onnx: true });
  return { a, b, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function registerModel(prisma: PrismaClient, provider: Provider, dir: string) {
  return registerModelDir(prisma, new AuditLog(prisma, provider), dir);
}

export const FAST_SETTINGS: WorkerSettings = { concurrency: 1, leaseMs: 5_000, pollMs: 50, retryBackoffMs: 0 };

/** The real worker, in this process, over the test's database. */
export function startWorker(
  prisma: PrismaClient,
  provider: Provider,
  databaseUrl: string,
  storageDir: string,
  events: StudyEvents,
  settings: Partial<WorkerSettings> = {},
) {
  const all = { ...FAST_SETTINGS, ...settings };
  const worker = new InferenceWorker({
    prisma,
    queue: new JobQueue(prisma, provider, all),
    wakeup: provider === 'postgresql' ? postgresWakeup(databaseUrl) : pollingWakeup(),
    model: new ActiveModel(prisma, 'onnx'),
    events,
    audit: new AuditLog(prisma, provider),
    storageDir,
    settings: all,
  });
  worker.start();
  return worker;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the worker logged that it is claiming jobs. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** `npm run worker`'s entry point (from source) as its own process, configured by environment like production. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: apiRoot,
    env: { ...process.env, NODE_ENV: 'test', ICH_ENGINE: 'onnx', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('claiming jobs')) markReady();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, ready, exited };
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A graphql-ws client on the API's /graphql, authenticated like a non-browser client (connection parameters). */
export function wsClient(httpUrl: string, options: { token?: string; headers?: Record<string, string> } = {}): Client {
  const url = `${httpUrl.replace(/^http/, 'ws')}/graphql`;
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: options.headers ?? {} });
    }
  }
  return createClient({
    url,
    webSocketImpl: HeaderWebSocket,
    lazy: false,
    retryAttempts: 0,
    // Refusals are asserted through the subscription's error; the default would also print them.
    onNonLazyError: () => {},
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
}

/** Subscribes and collects results; `closed` resolves with the close event or error that ended it. */
export function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const results: Array<{
    data?: T | null;
    errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }>;
  }> = [];
  let end: (reason: unknown) => void = () => {};
  const closed = new Promise<unknown>((resolve) => {
    end = resolve;
  });
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => results.push(value as (typeof results)[number]),
      error: (error) => end(error),
      complete: () => end('complete'),
    },
  );
  return { results, closed, unsubscribe };
}
