/**
 * Load check for the worklist (a benchmark, not a test): `npm run bench -w @ich/api`.
 *
 * Seeds 10,000 synthetic studies into a fresh SQLite database, starts the real API in a child process (so the load
 * generator does not share its event loop), and drives it with autocannon:
 *   - `/healthz`: HTTP floor (no database, no auth) — the named reference;
 *   - `/bench/raw-worklist`: the same page as one raw SQL query (no auth, audit or GraphQL) — the database floor;
 *   - the GraphQL worklist query (first 50, default triage ordering, patient + prediction + model version, with
 *     totalCount), authenticated with a session, including its audit event: with 10 closed-loop connections
 *     (saturation: latency is then mostly queueing on the one event loop) and with one client.
 * Prints p50/p95/p99 latency, requests/s and the API process's CPU time per request per scenario, with ratios to the
 * references, and writes JSON to bench-results/. The load generator runs in this process, so on a small machine it
 * competes with the server for cores (its CPU use is printed as "client cpu", % of one core); the server's CPU ms per
 * request is its own cost, steadier than latency when other work shares the machine.
 * Goal: worklist p95 <= 50 ms on SQLite.
 *
 * Environment: BENCH_STUDIES (10000), BENCH_CONNECTIONS (10), BENCH_SECONDS (10); BENCH_POSTGRES_URL (e.g.
 * postgres://postgres@127.0.0.1:5432/test) runs the same on a scratch PostgreSQL database created next to it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS } from '@ich/config';
import autocannon from 'autocannon';
import { createDatabaseClient, prepareDatabase } from '../src/db/index.js';
import { seedWorklist } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const studies = Number(process.env['BENCH_STUDIES'] ?? 10_000);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const WORKLIST = `query Worklist($first: Int, $after: String, $filter: StudyFilter) {
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

interface Scenario {
  name: string;
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Measured {
  name: string;
  connections: number;
  requests: number;
  errors: number;
  non2xx: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** The API process's CPU time per request served (ms), user + system. */
  serverCpuMs: number;
  /** This process's (the load generator's) CPU use during the scenario, in % of one core. */
  loadGeneratorCpuPercent: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// CPU time (user + system, microseconds) of the server process and its direct children (cluster workers), from
// /proc: the bench divides its growth over a scenario by the requests served, a cost per request that other load on
// a shared machine skews far less than latency does. Linux clock ticks are 1/100 s.
const CLOCK_TICKS_PER_SECOND = 100;

function processCpuTicks(pid: string): { ppid: number; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state ppid ... utime(14) stime(15), counted from 1.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // exited meanwhile
  }
}

function serverCpuMicros(pid: number): number {
  let ticks = processCpuTicks(String(pid))?.ticks ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
    const child = processCpuTicks(entry);
    if (child?.ppid === pid) ticks += child.ticks;
  }
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6;
}

async function run(server: { base: string; pid: number }, s: Scenario, durationSeconds: number): Promise<Measured> {
  const base = server.base;
  const latencies: number[] = [];
  const cpuBefore = serverCpuMicros(server.pid);
  const ownBefore = process.cpuUsage();
  const instance = autocannon({
    url: `${base}${s.path}`,
    method: s.method,
    connections: s.connections,
    duration: durationSeconds,
    headers: s.headers ?? {},
    ...(s.body ? { body: s.body } : {}),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const own = process.cpuUsage(ownBefore);
  const cpuMicros = serverCpuMicros(server.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    name: s.name,
    connections: s.connections,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    requestsPerSecond: result.requests.total / durationSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    serverCpuMs: cpuMicros / 1000 / Math.max(1, result.requests.total),
    loadGeneratorCpuPercent: ((own.user + own.system) / 1e6 / durationSeconds) * 100,
  };
}

async function startServer(
  databaseUrl: string,
  workers = 1,
): Promise<{ base: string; pid: number; stop(): Promise<void> }> {
  // The same V8 young-generation size as `npm start` (package.json): the measured server is the one that is deployed.
  const child = spawn(process.execPath, [...API_NODE_FLAGS, '--import', 'tsx', path.join(here, 'serve.ts')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production', BENCH_WORKERS: String(workers) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    );
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-bench-'));
  let databaseUrl = `file:${path.join(dir, 'bench.db')}`;
  let dropDatabase = async () => {};
  const postgres = process.env['BENCH_POSTGRES_URL'];
  if (postgres) {
    const name = `ich_bench_${Date.now()}`;
    const admin = await createDatabaseClient(postgres, { variable: 'BENCH_POSTGRES_URL', maxConnections: 1 });
    await admin.prisma.$executeRawUnsafe(`CREATE DATABASE "${name}"`);
    const url = new URL(postgres);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      await admin.prisma.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    };
  }
  const database = postgres ? 'postgresql' : 'sqlite';
  try {
    log(`seeding ${studies} studies into ${database} (${databaseUrl})`);
    const db = await prepareDatabase(databaseUrl);
    const seeded = await seedWorklist(db.prisma, studies, log);
    await db.close();

    const server = await startServer(databaseUrl);
    // Other work on the machine skews every number; the load average is recorded with the results.
    const loadAtStart = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    try {
      const auth = { 'content-type': 'application/json', authorization: `Bearer ${seeded.token}` };
      const body = (variables: Record<string, unknown>) => JSON.stringify({ query: WORKLIST, variables });
      // One checked request first: a benchmark of error responses would be meaningless.
      const probe = (await (
        await fetch(`${server.base}/graphql`, { method: 'POST', headers: auth, body: body({ first: 50 }) })
      ).json()) as {
        data?: { studies: { totalCount: number; edges: unknown[] } };
        errors?: unknown;
      };
      if (probe.errors || probe.data?.studies.edges.length !== 50 || probe.data.studies.totalCount !== studies) {
        throw new Error(`worklist probe failed: ${JSON.stringify(probe).slice(0, 500)}`);
      }
      const scenarios: Scenario[] = [
        { name: 'GET /healthz (reference: HTTP floor)', connections, method: 'GET', path: '/healthz' },
        { name: 'raw SQL, same page (reference: DB floor)', connections, method: 'GET', path: '/bench/raw-worklist' },
        {
          name: 'GraphQL worklist, first 50',
          connections,
          method: 'POST',
          path: '/graphql',
          headers: auth,
          body: body({ first: 50 }),
        },
        {
          name: 'GraphQL worklist, unreviewed bleeds',
          connections,
          method: 'POST',
          path: '/graphql',
          headers: auth,
          body: body({ first: 50, filter: { triage: true, reviewed: false } }),
        },
        // One client at a time: the latency a clinician opening the worklist sees when the server is not queueing.
        {
          name: 'GraphQL worklist, first 50, 1 client',
          connections: 1,
          method: 'POST',
          path: '/graphql',
          headers: auth,
          body: body({ first: 50 }),
        },
      ];
      const results: Measured[] = [];
      const measure = async (target: typeof server, s: Scenario) => {
        log(`warming up: ${s.name}`);
        await run(target, s, 2);
        log(`measuring ${seconds}s with ${s.connections} connection(s): ${s.name}`);
        results.push(await run(target, s, seconds));
      };
      for (const s of scenarios) await measure(server, s);
      // The same worklist with API_WORKERS=2 (node:cluster): one process per core.
      const clustered = await startServer(databaseUrl, 2);
      try {
        for (const s of scenarios.slice(2, 4)) await measure(clustered, { ...s, name: `${s.name}, 2 workers` });
      } finally {
        await clustered.stop();
      }
      const [health, raw] = results;
      const fmt = (n: number) => n.toFixed(1).padStart(8);
      const load = loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
      const lines = [
        `worklist load check: ${studies} studies (${database}), ${seconds}s per scenario, node ${process.version}, ${cpus().length} CPUs, load average at start ${loadAtStart}, now ${load}`,
        `${'scenario'.padEnd(42)} ${'conns'.padStart(5)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'cpu ms/req'.padStart(10)} ${'client cpu'.padStart(10)} ${'errors'.padStart(7)} ${'p50 vs healthz'.padStart(15)} ${'p50 vs raw SQL'.padStart(15)}`,
        ...results.map(
          (r) =>
            `${r.name.padEnd(42)} ${String(r.connections).padStart(5)} ${fmt(r.requestsPerSecond)} ${fmt(r.p50)} ${fmt(r.p95)} ${fmt(r.p99)} ${r.serverCpuMs.toFixed(2).padStart(10)} ${`${r.loadGeneratorCpuPercent.toFixed(0)}%`.padStart(10)} ${String(r.errors + r.non2xx).padStart(7)} ${`${(r.p50 / Math.max(health!.p50, 0.1)).toFixed(1)}x`.padStart(15)} ${`${(r.p50 / Math.max(raw!.p50, 0.1)).toFixed(1)}x`.padStart(15)}`,
        ),
      ];
      for (const r of results.slice(2))
        lines.push(
          `goal p95 <= 50 ms, ${r.name} (${r.connections} conn): ${r.p95 <= 50 ? 'met' : 'NOT met'} (p95 ${r.p95.toFixed(1)} ms)`,
        );
      console.log(lines.join('\n'));
      const outDir = path.join(here, '..', 'bench-results');
      mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, `worklist-${database}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ benchmark: 'worklist', database, studies, seconds, node: process.version, cpus: cpus().length, loadAverage: { atStart: loadAtStart, atEnd: load }, references: ['GET /healthz', 'raw SQL same page'], results }, null, 2)}\n`,
      );
      log(`wrote ${path.relative(process.cwd(), file)}`);
    } finally {
      await server.stop();
    }
  } finally {
    await dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
