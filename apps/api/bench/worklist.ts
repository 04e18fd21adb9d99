/**
 * Load check for the worklist (a benchmark, not a test): `npm run bench -w @ich/api`.
 *
 * Seeds 10,000 synthetic studies into a fresh SQLite database and a scratch PostgreSQL database, and on each starts
 * the real API twice with API_WORKERS=2 (node:cluster, as deployed): the reference path (WORKLIST_FAST_PATH=false:
 * Prisma's query engine, dataloaders, graphql-js) and the fast path (one prepared SQL statement per page,
 * graphql-jit). The GraphQL worklist query (first 50, default triage ordering, patient + prediction + model version,
 * totalCount; authenticated with a session, audited) is driven by autocannon with 1, 10 and 50 closed-loop
 * connections, in rounds that alternate the two servers (old, new, then new, old, ...) so that other work on a
 * shared machine weighs on both alike. Also measured once per database, as floors: `GET /healthz` (HTTP, no
 * database) and `/bench/raw-worklist` (the page as one raw SQL query, no auth, audit or GraphQL).
 *
 * Prints, per database and connection count, p50/p95/p99 (all rounds' latencies pooled), the median of the rounds'
 * p95, req/s and the server's CPU ms per request for old and new, and the old/new ratios; writes JSON to
 * bench-results/. The load generator runs in this process and shares the cores with the servers.
 * Goal: fast-path p95 <= 50 ms at 10 connections on SQLite.
 *
 * Environment: BENCH_STUDIES (10000), BENCH_SECONDS per round (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (1,10,50),
 * BENCH_WORKERS (2); BENCH_POSTGRES_URL (default: the test server, postgresql://postgres@127.0.0.1:5432/postgres;
 * `off` skips PostgreSQL; an unreachable server is reported and skipped).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS } from '@ich/config';
import autocannon from 'autocannon';
import { prepareDatabase } from '../src/db/index.js';
import { seedWorklist } from './seed.js';
import { scratchDatabase, WORKLIST_QUERY } from './worklist-shared.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const studies = Number(process.env['BENCH_STUDIES'] ?? 10_000);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const workers = Number(process.env['BENCH_WORKERS'] ?? 2);
const connectionCounts = (process.env['BENCH_CONNECTIONS'] ?? '1,10,50').split(',').map(Number);
const postgresUrl = process.env['BENCH_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Scenario {
  name: string;
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Measured {
  requests: number;
  errors: number;
  non2xx: number;
  latencies: number[];
  /** The API processes' CPU time (ms), user + system. */
  serverCpuMs: number;
  /** This process's (the load generator's) CPU use during the scenario, in % of one core. */
  loadGeneratorCpuPercent: number;
}

interface Summary {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** The median over rounds of each round's p95. */
  medianRoundP95: number;
  roundP95s: number[];
  serverCpuMsPerRequest: number;
  loadGeneratorCpuPercent: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

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

async function run(server: Server, s: Scenario, durationSeconds: number): Promise<Measured> {
  const latencies: number[] = [];
  const cpuBefore = serverCpuMicros(server.pid);
  const ownBefore = process.cpuUsage();
  const instance = autocannon({
    url: `${server.base}${s.path}`,
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
  return {
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    latencies,
    serverCpuMs: (serverCpuMicros(server.pid) - cpuBefore) / 1000,
    loadGeneratorCpuPercent: ((own.user + own.system) / 1e6 / durationSeconds) * 100,
  };
}

function summarize(measured: Measured[], durationSeconds: number): Summary {
  const all = measured.flatMap((m) => m.latencies).sort((a, b) => a - b);
  const requests = measured.reduce((n, m) => n + m.requests, 0);
  const roundP95s = measured.map((m) =>
    percentile(
      [...m.latencies].sort((a, b) => a - b),
      95,
    ),
  );
  return {
    requests,
    errors: measured.reduce((n, m) => n + m.errors + m.non2xx, 0),
    requestsPerSecond: requests / (durationSeconds * measured.length),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    medianRoundP95: median(roundP95s),
    roundP95s,
    serverCpuMsPerRequest: measured.reduce((n, m) => n + m.serverCpuMs, 0) / Math.max(1, requests),
    loadGeneratorCpuPercent: median(measured.map((m) => m.loadGeneratorCpuPercent)),
  };
}

interface Server {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(databaseUrl: string, fastPath: boolean): Promise<Server> {
  // The same V8 young-generation size as `npm start` (package.json): the measured server is the one that is deployed.
  const child = spawn(process.execPath, [...API_NODE_FLAGS, '--import', 'tsx', path.join(here, 'serve.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NODE_ENV: 'production',
      BENCH_WORKERS: String(workers),
      WORKLIST_FAST_PATH: String(fastPath),
    },
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

interface Row {
  database: 'sqlite' | 'postgresql';
  connections: number;
  old: Summary;
  new: Summary;
}

interface Floor {
  database: 'sqlite' | 'postgresql';
  name: string;
  connections: number;
  summary: Summary;
}

async function benchDatabase(
  database: 'sqlite' | 'postgresql',
  rows: Row[],
  floors: Floor[],
  checks: string[],
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-bench-'));
  const scratch = await scratchDatabase(dir, database === 'postgresql' ? postgresUrl : null);
  try {
    log(`seeding ${studies} studies into ${database}`);
    const db = await prepareDatabase(scratch.url);
    const seeded = await seedWorklist(db.prisma, studies, log);
    await db.close();
    const servers = {
      old: await startServer(scratch.url, false),
      new: await startServer(scratch.url, true),
    };
    try {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${seeded.token}` };
      const body = JSON.stringify({ query: WORKLIST_QUERY, variables: { first: 50 } });
      // One checked request on each first: a benchmark of error responses would be meaningless, and both paths must
      // answer alike.
      const answers: string[] = [];
      for (const server of [servers.old, servers.new]) {
        const response = await fetch(`${server.base}/graphql`, { method: 'POST', headers, body });
        const probe = (await response.json()) as {
          data?: { studies: { totalCount: number; edges: unknown[] } };
          errors?: unknown;
        };
        if (probe.errors || probe.data?.studies.edges.length !== 50 || probe.data.studies.totalCount !== studies) {
          throw new Error(`worklist probe failed: ${JSON.stringify(probe).slice(0, 500)}`);
        }
        answers.push(JSON.stringify(probe.data));
      }
      checks.push(
        `${database}: old and new paths answered the probe page ${answers[0] === answers[1] ? 'identically' : 'DIFFERENTLY'}`,
      );
      if (answers[0] !== answers[1]) throw new Error('the fast path answered the probe differently');

      for (const [name, p] of [
        ['GET /healthz (floor: HTTP)', '/healthz'],
        ['raw SQL page (floor: database)', '/bench/raw-worklist'],
      ] as const) {
        const s: Scenario = { name, connections: 10, method: 'GET', path: p };
        await run(servers.new, s, 1);
        log(`${database}: measuring ${name}`);
        floors.push({
          database,
          name,
          connections: 10,
          summary: summarize([await run(servers.new, s, seconds)], seconds),
        });
      }
      for (const connections of connectionCounts) {
        const s: Scenario = { name: 'worklist', connections, method: 'POST', path: '/graphql', headers, body };
        const measured: { old: Measured[]; new: Measured[] } = { old: [], new: [] };
        for (const variant of ['old', 'new'] as const) await run(servers[variant], s, 2); // warm-up (JIT, caches)
        for (let round = 0; round < rounds; round += 1) {
          const order = round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
          for (const variant of order) {
            log(`${database}: ${connections} connection(s), round ${round + 1}/${rounds}, ${variant} path`);
            measured[variant].push(await run(servers[variant], s, seconds));
          }
        }
        rows.push({
          database,
          connections,
          old: summarize(measured.old, seconds),
          new: summarize(measured.new, seconds),
        });
      }
    } finally {
      await servers.old.stop();
      await servers.new.stop();
    }
  } finally {
    await scratch.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresReachable(): Promise<boolean> {
  if (postgresUrl === 'off') return false;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    log(`PostgreSQL at ${postgresUrl} is not reachable (${(error as Error).message}): skipped`);
    return false;
  }
}

function table(rows: Row[], floors: Floor[]): string[] {
  const f = (n: number) => n.toFixed(1).padStart(7);
  const ratio = (a: number, b: number) => `${(a / Math.max(b, 0.01)).toFixed(2)}x`.padStart(7);
  const lines = [
    `${'database'.padEnd(10)} ${'conns'.padStart(5)} ${'path'.padEnd(4)} ${'req/s'.padStart(7)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'mdn p95'.padStart(7)} ${'cpu/req'.padStart(7)} ${'errors'.padStart(6)}   old/new: ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'cpu/req'.padStart(7)} ${'req/s'.padStart(7)}`,
  ];
  for (const r of rows) {
    for (const variant of ['old', 'new'] as const) {
      const s = r[variant];
      const tail =
        variant === 'new'
          ? `   old/new: ${ratio(r.old.p50, r.new.p50)} ${ratio(r.old.p95, r.new.p95)} ${ratio(r.old.serverCpuMsPerRequest, r.new.serverCpuMsPerRequest)} ${ratio(r.new.requestsPerSecond, r.old.requestsPerSecond)}`
          : '';
      lines.push(
        `${r.database.padEnd(10)} ${String(r.connections).padStart(5)} ${variant.padEnd(4)} ${f(s.requestsPerSecond)} ${f(s.p50)} ${f(s.p95)} ${f(s.p99)} ${f(s.medianRoundP95)} ${s.serverCpuMsPerRequest.toFixed(2).padStart(7)} ${String(s.errors).padStart(6)}${tail}`,
      );
    }
  }
  lines.push('floors (fast-path server, 10 connections, one round):');
  for (const fl of floors)
    lines.push(
      `  ${fl.database.padEnd(10)} ${fl.name.padEnd(32)} ${f(fl.summary.requestsPerSecond)} req/s, p50 ${fl.summary.p50.toFixed(1)} ms, p95 ${fl.summary.p95.toFixed(1)} ms, cpu ${fl.summary.serverCpuMsPerRequest.toFixed(2)} ms/req`,
    );
  return lines;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const rows: Row[] = [];
  const floors: Floor[] = [];
  const checks: string[] = [];
  await benchDatabase('sqlite', rows, floors, checks);
  if (await postgresReachable()) await benchDatabase('postgresql', rows, floors, checks);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const lines = [
    `worklist under load: ${studies} studies, API_WORKERS=${workers}, ${rounds} alternating rounds of ${seconds}s per path, node ${process.version}, ${cpus().length} CPUs, load average at start ${loadAtStart}, at end ${load}`,
    'old = reference path (WORKLIST_FAST_PATH=false: Prisma + dataloaders + graphql-js); new = fast path (one prepared SQL statement + graphql-jit)',
    "latencies in ms (p50/p95/p99 over all rounds pooled; mdn p95 = median of the rounds' p95); cpu/req = API processes' CPU ms per request",
    ...table(rows, floors),
    ...checks,
  ];
  for (const r of rows.filter((row) => row.database === 'sqlite' && row.connections === 10))
    lines.push(
      `goal p95 <= 50 ms at 10 connections on SQLite (fast path): ${r.new.p95 <= 50 ? 'met' : 'NOT met'} (p95 ${r.new.p95.toFixed(1)} ms, median round p95 ${r.new.medianRoundP95.toFixed(1)} ms; old path ${r.old.p95.toFixed(1)} ms)`,
    );
  console.log(lines.join('\n'));
  const outDir = path.join(here, '..', 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `worklist-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'worklist',
        studies,
        workers,
        rounds,
        secondsPerRound: seconds,
        node: process.version,
        cpus: cpus().length,
        loadAverage: { atStart: loadAtStart, atEnd: load },
        reference: 'WORKLIST_FAST_PATH=false (Prisma query engine, dataloaders, graphql-js), alternating rounds',
        floors,
        results: rows,
        checks,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
