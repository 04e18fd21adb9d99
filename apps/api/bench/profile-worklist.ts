/**
 * Where the worklist's CPU goes (a diagnostic, not a test): `tsx bench/profile-worklist.ts`.
 *
 * Seeds BENCH_STUDIES (10,000) studies into a fresh SQLite database (or a scratch database next to
 * BENCH_POSTGRES_URL), starts one API process under `node --cpu-prof`, drives the GraphQL worklist query (first 50)
 * with BENCH_CONNECTIONS (10) closed-loop connections for BENCH_SECONDS (10), stops the server (which writes the
 * profile) and prints the self time grouped by where the code lives (Prisma runtime, adapter, graphql-js, Apollo,
 * Express/HTTP, this API, node internals, GC) and the top functions. WORKLIST_FAST_PATH=false profiles the old path.
 * The .cpuprofile is kept in bench-results/ for Chrome DevTools.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { prepareDatabase } from '../src/db/index.js';
import { seedWorklist } from './seed.js';
import { scratchDatabase, WORKLIST_QUERY } from './worklist-shared.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const studies = Number(process.env['BENCH_STUDIES'] ?? 10_000);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const log = (line: string) => process.stderr.write(`[profile] ${line}\n`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const GROUPS: Array<[string, RegExp]> = [
  [
    'prisma client runtime (query compiler/interpreter JS)',
    /@prisma\/client|generated\/(sqlite|postgresql)|query_compiler/,
  ],
  ['prisma driver adapter', /@prisma\/adapter|driver-adapter-utils/],
  ['better-sqlite3 / pg driver', /better-sqlite3|node_modules\/pg(-[a-z]+)?\//],
  ['graphql-js execution/validation', /node_modules\/graphql\//],
  ['graphql-jit', /graphql-jit/],
  ['apollo server', /@apollo|@as-integrations/],
  [
    'express / http middleware',
    /node_modules\/(express|body-parser|router|raw-body|iconv-lite|type-is|on-finished|finalhandler|send|qs|cookie|content-type|debug)\//,
  ],
  ['dataloader', /dataloader/],
  ['zod', /node_modules\/zod/],
  ['api: audit', /src\/audit\//],
  ['api: auth/context', /src\/(auth|context)\//],
  ['api: db', /src\/db\//],
  ['api: services', /src\/services\//],
  ['api: graphql', /src\/graphql\//],
  ['api: other', /apps\/api\/src\//],
  ['node internals (http, net, streams, crypto)', /^node:|^internal/],
];

function summarize(profile: Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const special = frame.url === '' ? frame.functionName : '';
    const group =
      special === '(idle)' || special === '(program)' || special === '(garbage collector)'
        ? special
        : (GROUPS.find(([, re]) => re.test(frame.url))?.[0] ?? (frame.url === '' ? 'native/builtins' : 'other'));
    groups.set(group, (groups.get(group) ?? 0) + us);
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/.*node_modules\//, '').replace(/.*apps\/api\//, '')}:${frame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const busy = total - (groups.get('(idle)') ?? 0);
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `self time, % of non-idle CPU (${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms)`,
  ];
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) if (g !== '(idle)') lines.push(`  ${pct(us)}  ${g}`);
  lines.push('top functions by self time:');
  for (const [f, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25))
    if (!f.startsWith('(idle)')) lines.push(`  ${pct(us)}  ${f}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-profile-'));
  const scratch = await scratchDatabase(dir, process.env['BENCH_POSTGRES_URL'] || null);
  const outDir = path.join(here, '..', 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const profDir = mkdtempSync(path.join(tmpdir(), 'ich-cpuprof-'));
  try {
    log(`seeding ${studies} studies (${scratch.provider})`);
    const db = await prepareDatabase(scratch.url);
    const seeded = await seedWorklist(db.prisma, studies, log);
    await db.close();
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=64',
        '--cpu-prof',
        '--cpu-prof-dir',
        profDir,
        '--import',
        'tsx',
        path.join(here, 'serve.ts'),
      ],
      {
        env: { ...process.env, DATABASE_URL: scratch.url, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      createInterface({ input: child.stdout }).once('line', (line) =>
        resolve((JSON.parse(line) as { port: number }).port),
      );
    });
    const request = {
      url: `http://127.0.0.1:${port}/graphql`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seeded.token}` },
      body: JSON.stringify({ query: WORKLIST_QUERY, variables: { first: 50 } }),
      connections,
    };
    await autocannon({ ...request, duration: 2 });
    log(`profiling ${seconds}s with ${connections} connections`);
    const result = await autocannon({ ...request, duration: seconds });
    log(`${result.requests.total} requests, ${result.non2xx} non-2xx, p50 ${result.latency.p50} ms`);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no CPU profile was written');
    const text = readFileSync(path.join(profDir, file), 'utf8');
    const kept = path.join(
      outDir,
      `worklist-${scratch.provider}-${process.env['WORKLIST_FAST_PATH'] === 'false' ? 'old' : 'new'}.cpuprofile`,
    );
    await import('node:fs').then((fs) => fs.writeFileSync(kept, text));
    console.log(
      `${result.requests.total} requests in ${seconds}s (${scratch.provider}); profile: ${path.relative(process.cwd(), kept)}`,
    );
    console.log(summarize(JSON.parse(text) as Profile));
  } finally {
    await scratch.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
