/**
 * Upload-to-result latency (a benchmark, not a test): `npm run bench -w @ich/api` (after the worklist check), or
 * `npx tsx bench/pipeline.ts` alone. Needs the API built (`npm run build`).
 *
 * Runs the default `npm start` back end as separate processes, with default settings: the built API
 * (dist/main.js, SQLite in a fresh data folder, the model it installs on first start: the shipped demo model, or an
 * UNTRAINED seeded one without it) and the built worker (dist/worker/main.js). The web process is not started: it
 * plays no part in this path. For each of BENCH_STUDIES (5) synthetic 40-slice 512² studies it then:
 *   - "store": writes the DICOM files content-addressed under STORAGE_DIR (write + fsync) and records Patient →
 *     Study → Series → Instance rows and the job in one transaction (enqueueStudyAnalysis): the steps the upload
 *     route takes, without its HTTP parsing (the ingest bench measures that); the clock starts when that commits,
 *     the moment an upload request would answer;
 *   - waits for the `studyUpdated` event over graphql-ws, then reads the prediction through GraphQL (POST /graphql);
 *     the clock stops when that answer holds the prediction.
 * Breakdown per study: queue wake-up (commit → claim), model load (0 once loaded; the load at worker start is
 * printed apart), read + decode (stored files → HU), inference (windows, resize and the engine, overlapped),
 * write (the result transaction), and notify + read (commit of the result → GraphQL answer).
 * Reference, in the same run: the same files through @ich/ml/node's loadStudies + inferStudy in this process with
 * the model already loaded (no database, queue or HTTP), the floor the pipeline is compared with.
 * Goal: end of upload → prediction readable ≤ 5 s on 2 cores. Writes JSON to bench-results/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS } from '@ich/config';
import { inferStudy, loadStudies, selectEngine, synthStudy } from '@ich/ml/node';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createDatabaseClient } from '../src/db/index.js';
import { enqueueStudyAnalysis } from '../src/queue/enqueue.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiRoot = path.join(here, '..');
const runs = Number(process.env['BENCH_STUDIES'] ?? 5);
const SLICES = 40;
const SIZE = 512;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

function startProcess(name: string, script: string, env: NodeJS.ProcessEnv, args: string[] = []): Proc {
  const child = spawn(process.execPath, [...args, path.join(apiRoot, script)], {
    cwd: apiRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', (code) => {
    out += `\n[${name} exited ${code}]`;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`${name} exited:\n${out}`));
          if (Date.now() > deadline) return reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${out}`));
          waiters.push(check);
          setTimeout(check, 500).unref();
        };
        check();
      });
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ich-bench-pipeline-'));
  const port = await freePort();
  const password = `bench-${randomUUID()}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    API_PORT: String(port),
    ICH_DATA_DIR: dataDir,
    ICH_ADMIN_PASSWORD: password,
    DATABASE_URL: '',
    STORAGE_DIR: '',
    MODEL_DIR: '',
  };
  const procs: Proc[] = [];
  try {
    const apiStarted = performance.now();
    const api = startProcess('api', 'dist/main.js', env, [...API_NODE_FLAGS]);
    procs.push(api);
    await api.waitFor(/listening on/, 600_000);
    log(`API ready in ${Math.round(performance.now() - apiStarted)} ms (first start installs the model)`);
    const worker = startProcess('worker', 'dist/worker/main.js', env);
    procs.push(worker);
    const loaded = await worker.waitFor(/loaded on (\S+) .* in (\d+) ms/, 300_000);
    await worker.waitFor(/claiming jobs/, 60_000);
    const engineName = loaded[1]!;
    const workerModelLoadMs = Number(loaded[2]);
    log(`worker loaded the model on ${engineName} in ${workerModelLoadMs} ms`);

    const apiUrl = `http://127.0.0.1:${port}`;
    const gql = async <T>(query: string, variables: Record<string, unknown>, token?: string) => {
      const res = await fetch(`${apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: T; errors?: unknown[] };
    };
    const login = await gql<{ login: { token: string } }>(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
      { e: 'admin@ich.local', p: password },
    );
    const token = login.data?.login.token;
    if (!token) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
    const ws = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
    });

    const databaseUrl = `file:${path.join(dataDir, 'ich.db')}`;
    const storageDir = path.join(dataDir, 'storage');
    const db = await createDatabaseClient(databaseUrl);
    const rows: Array<Record<string, number>> = [];
    const studyDirs: string[] = [];
    for (let run = 0; run < runs; run += 1) {
      const synth = synthStudy({ slices: SLICES, size: SIZE, seed: `bench-${run}`, bleed: 'random' });
      // The files, as the reference will read them.
      const dir = path.join(dataDir, `study-${run}`);
      mkdirSync(dir);
      for (const f of synth.files) writeFileSync(path.join(dir, f.name), f.bytes);
      studyDirs.push(dir);

      const storeStarted = performance.now();
      const stored: Array<{ sop: string; key: string; hash: string; size: number; n: number }> = [];
      for (const f of synth.files) {
        const hash = createHash('sha256').update(f.bytes).digest('hex');
        const key = path.join(hash.slice(0, 2), hash);
        await mkdir(path.join(storageDir, hash.slice(0, 2)), { recursive: true });
        const handle = await open(path.join(storageDir, key), 'w');
        await handle.writeFile(f.bytes);
        await handle.sync();
        await handle.close();
        stored.push({ sop: f.sopInstanceUid, key, hash, size: f.bytes.length, n: f.instanceNumber });
      }
      const studyId = await db.prisma.$transaction(async (tx) => {
        const patient = await tx.patient.create({
          data: { patientId: `${synth.patientId}-${run}`, name: synth.patientName },
        });
        const study = await tx.study.create({
          data: { studyInstanceUid: synth.studyInstanceUid, patientId: patient.id, instanceCount: SLICES },
        });
        const series = await tx.series.create({
          data: { seriesInstanceUid: synth.seriesInstanceUid, studyId: study.id, modality: 'CT', seriesNumber: 1 },
        });
        await tx.instance.createMany({
          data: stored.map((s) => ({
            sopInstanceUid: s.sop,
            seriesId: series.id,
            instanceNumber: s.n,
            rows: SIZE,
            columns: SIZE,
            transferSyntaxUid: '1.2.840.10008.1.2.1',
            contentHash: s.hash,
            storageKey: s.key,
            sizeBytes: s.size,
          })),
        });
        return study.id;
      });
      const storeMs = performance.now() - storeStarted;
      // Subscribe first, then queue: the commit of the job is the end of the "upload".
      const event = new Promise<number>((resolve, reject) => {
        const stop = ws.subscribe<{ studyUpdated: { status: string } }>(
          { query: 'subscription($id: ID!) { studyUpdated(id: $id) { status } }', variables: { id: studyId } },
          {
            next: (v) => {
              if (v.data?.studyUpdated.status === 'DONE') {
                resolve(performance.now());
                stop();
              }
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
      await new Promise((r) => setTimeout(r, 200));
      await db.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, studyId));
      const t0 = performance.now();
      const t0Epoch = Date.now();
      await event;
      const answer = await gql<{ study: { prediction: { id: string; slices: unknown[] } | null } }>(
        'query($id: ID!) { study(id: $id) { prediction { id slices { sliceIndex any } } } }',
        { id: studyId },
        token,
      );
      const t1 = performance.now();
      if (answer.data?.study.prediction?.slices.length !== SLICES)
        throw new Error(`no prediction: ${JSON.stringify(answer)}`);
      const line = await worker.waitFor(new RegExp(`study ${studyId}: .* (\\{.*\\})`), 10_000);
      const t = JSON.parse(line[1]!) as Record<string, number>;
      const row = {
        storeMs,
        wakeupMs: t['claimedAt']! - t0Epoch,
        modelLoadMs: t['modelLoadMs']!,
        readDecodeMs: t['readMs']!,
        inferenceMs: t['inferMs']!,
        writeMs: t['writeMs']!,
        // After the RESULT event (off the end-to-end path): the DICOM SR and summary image.
        resultObjectsMs: t['resultObjectsMs'] ?? 0,
        notifyReadMs: 0,
        endToEndMs: t1 - t0,
      };
      row.notifyReadMs = row.endToEndMs - row.wakeupMs - (t['totalMs']! - row.resultObjectsMs);
      rows.push(row);
      log(`study ${run + 1}/${runs}: ${Math.round(row.endToEndMs)} ms end to end`);
    }
    await ws.dispose();
    await db.close();
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : null)),
    );

    // Reference: the same files, in this process, model loaded once, no database/queue/HTTP.
    const modelDir = path.join(dataDir, 'models', 'current');
    const refLoadStarted = performance.now();
    const selected = await selectEngine(modelDir, { choice: 'auto' });
    const refLoadMs = performance.now() - refLoadStarted;
    const reference: number[] = [];
    for (const dir of studyDirs) {
      const started = performance.now();
      const { studies } = await loadStudies([dir]);
      await inferStudy(selected.engine, selected.card, studies[0]!);
      reference.push(performance.now() - started);
    }
    await selected.engine.dispose();

    const keys = Object.keys(rows[0]!) as Array<keyof (typeof rows)[number]>;
    const medians = Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]!))]));
    const refMedian = median(reference);
    const table = [
      ...keys.map((k) => ({
        step: k,
        'median ms': Math.round(medians[k]!),
        'per study': rows.map((r) => Math.round(r[k]!)).join(' '),
      })),
      {
        step: 'reference: loadStudies + inferStudy in-process',
        'median ms': Math.round(refMedian),
        'per study': reference.map(Math.round).join(' '),
      },
      { step: 'worker model load at start', 'median ms': workerModelLoadMs, 'per study': '' },
      { step: 'reference model load', 'median ms': Math.round(refLoadMs), 'per study': '' },
    ];
    console.log(
      `\nUpload end → prediction readable through GraphQL: ${SLICES} slices ${SIZE}², ${runs} studies, SQLite, engine ${engineName}, ${cpus().length} cores (load ${loadavg()[0]!.toFixed(2)})`,
    );
    console.table(table);
    const ratio = medians['endToEndMs']! / refMedian;
    console.log(
      `end to end median ${Math.round(medians['endToEndMs']!)} ms (goal ≤ 5000 ms): ${ratio.toFixed(2)}× the in-process reference (${Math.round(refMedian)} ms)`,
    );
    const outDir = path.join(apiRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          slices: SLICES,
          size: SIZE,
          engine: engineName,
          cores: cpus().length,
          loadavg: loadavg(),
          rows,
          medians,
          reference,
          refLoadMs,
          workerModelLoadMs,
          ratio,
        },
        null,
        2,
      ),
    );
    log(`wrote ${file}`);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
