/**
 * Ingest throughput (a benchmark, not a test): `npm run bench -w @ich/api` (after the worklist check) or
 * `npm run bench:ingest -w @ich/api`.
 *
 * Synthesizes BENCH_INGEST_RUNS studies of BENCH_INGEST_SLICES slices of BENCH_INGEST_SIZE² (40 × 512² by default,
 * uncompressed), then stores each study with one STOW-RS request into the product (the real API in a child process,
 * as `npm start` runs it on SQLite) and into Debian's Orthanc with its DICOMweb plugin (the reference, in its own
 * network namespace) in the same run, alternating which goes first. Both are reached through the same kind of Unix
 * socket relay, so neither gets a shorter network path. Prints instances/s per run, medians and the ratio, and
 * writes JSON to bench-results/. Goal: the product's median ≥ 2× Orthanc's.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS } from '@ich/config';
import { synthStudy } from '@ich/ml/node';
import { hashSecret, newSecret } from '../src/auth/secrets.js';
import { prepareDatabase } from '../src/db/index.js';
import { orthancUnavailable, startOrthanc } from '../test/integration/pacs/orthanc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runs = Number(process.env['BENCH_INGEST_RUNS'] ?? 5);
const slices = Number(process.env['BENCH_INGEST_SLICES'] ?? 40);
const size = Number(process.env['BENCH_INGEST_SIZE'] ?? 512);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Target {
  name: string;
  socketPath: string;
  path: string;
  headers: Record<string, string>;
}

function stowBody(files: readonly Uint8Array[]): { body: Buffer; contentType: string } {
  const boundary = `bench-${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const f of files)
    parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** One STOW-RS request; returns seconds from the first byte sent to the last byte of the answer. */
function stow(target: Target, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        socketPath: target.socketPath,
        method: 'POST',
        path: target.path,
        headers: {
          host: 'localhost',
          'content-type': contentType,
          'content-length': body.length,
          accept: 'application/dicom+json',
          ...target.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          if (res.statusCode !== 200)
            reject(
              new Error(`${target.name} answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`),
            );
          else resolve(seconds);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A relay process from a Unix socket to a TCP port: the same kind of hop Orthanc's requests take into its network
 * namespace, in a process of its own so it does not share the load generator's event loop.
 */
async function relay(socketPath: string, port: number): Promise<{ stop(): void }> {
  const code = `const net = require('node:net');
net.createServer((c) => { const u = net.connect(${port}, '127.0.0.1'); c.pipe(u).pipe(c);
  const x = () => { c.destroy(); u.destroy(); }; c.on('error', x); u.on('error', x); })
  .listen(${JSON.stringify(socketPath)}, () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`relay exited with ${c}`)));
    createInterface({ input: child.stdout }).once('line', () => resolve());
  });
  return { stop: () => child.kill('SIGTERM') };
}

async function startProduct(dir: string): Promise<{ port: number; token: string; stop(): Promise<void> }> {
  const databaseUrl = `file:${path.join(dir, 'bench.db')}`;
  const db = await prepareDatabase(databaseUrl);
  const user = await db.prisma.user.create({ data: { email: 'bench@ich.local', role: 'ADMIN', passwordHash: 'x' } });
  const token = newSecret('apiToken');
  await db.prisma.apiToken.create({
    data: {
      name: 'bench',
      userId: user.id,
      tokenHash: hashSecret(token),
      prefix: 'bench',
      scopes: 'write:uploads read:studies',
    },
  });
  await db.close();
  // The same V8 young-generation size as `npm start` (package.json).
  const child = spawn(process.execPath, [...API_NODE_FLAGS, '--import', 'tsx', path.join(here, 'serve.ts')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, STORAGE_DIR: path.join(dir, 'storage'), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    );
  });
  return {
    port,
    token,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const unavailable = orthancUnavailable();
  if (unavailable) {
    log(`ingest benchmark skipped: the reference cannot run (${unavailable})`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-bench-ingest-'));
  log(`synthesizing ${runs + 1} studies of ${slices} × ${size}² slices`);
  const studies = Array.from({ length: runs + 1 }, (_, i) =>
    stowBody(
      synthStudy({ seed: `bench-ingest-${Date.now()}-${i}`, slices, size, bleed: 'none' }).files.map((f) => f.bytes),
    ),
  );
  const megabytes = (studies[0]?.body.length ?? 0) / 1e6;
  const product = await startProduct(dir);
  const productSocket = path.join(dir, 'product.sock');
  const productRelay = await relay(productSocket, product.port);
  const orthanc = await startOrthanc();
  try {
    const targets: Target[] = [
      {
        name: 'product',
        socketPath: productSocket,
        path: '/dicom-web/studies',
        headers: { authorization: `Bearer ${product.token}` },
      },
      { name: 'orthanc', socketPath: orthanc.socketPath, path: '/dicom-web/studies', headers: {} },
    ];
    const loadAtStart = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const perTarget: Record<string, number[]> = { product: [], orthanc: [] };
    for (const [i, study] of studies.entries()) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const seconds = await stow(target, study.body, study.contentType);
        const rate = slices / seconds;
        if (i === 0) log(`warm-up ${target.name}: ${rate.toFixed(1)} instances/s`);
        else perTarget[target.name]?.push(rate);
      }
    }
    const p = median(perTarget['product'] ?? []);
    const o = median(perTarget['orthanc'] ?? []);
    const ratio = p / o;
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const fmt = (v: number) => v.toFixed(1).padStart(10);
    console.log(
      [
        `ingest throughput: STOW-RS, one request per study of ${slices} × ${size}² (${megabytes.toFixed(1)} MB), ${runs} runs after a warm-up, node ${process.version}, ${cpus().length} CPUs, load average at start ${loadAtStart}, now ${load}`,
        `${'target'.padEnd(34)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}   (instances/s)`,
        ...Object.entries(perTarget).map(
          ([name, rates]) =>
            `${(name === 'orthanc' ? 'Orthanc 1.10 DICOMweb (reference)' : 'product (SQLite, npm start setup)').padEnd(34)} ${fmt(median(rates))} ${fmt(Math.min(...rates))} ${fmt(Math.max(...rates))}`,
        ),
        `ratio product / Orthanc (medians): ${ratio.toFixed(2)}× — goal ≥ 2×: ${ratio >= 2 ? 'met' : 'NOT met'}`,
      ].join('\n'),
    );
    const outDir = path.join(here, '..', 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ benchmark: 'ingest', slices, size, runs, megabytesPerStudy: megabytes, node: process.version, cpus: cpus().length, loadAverage: { atStart: loadAtStart, atEnd: load }, reference: 'Orthanc 1.10 + DICOMweb plugin STOW-RS', instancesPerSecond: perTarget, medians: { product: p, orthanc: o }, ratio }, null, 2)}\n`,
    );
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await orthanc.stop();
    productRelay.stop();
    await product.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
