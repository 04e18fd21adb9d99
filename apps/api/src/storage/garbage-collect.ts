import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { ContentStore } from './content-store.js';

/**
 * Removes stored objects no Instance references: parts refused after they were stored (a conflict, another study),
 * objects of a request that failed before its rows were written, and what a crash between the two left. Objects are
 * written before rows reference them (content-store.ts), so "unreferenced now" can also mean "referenced in a
 * moment". Three rules keep the collector from removing such an object:
 *
 * 1. Only objects unmodified for `graceMs` are candidates. ContentStore.commit touches an object it reuses, so an
 *    object that a row is about to reference is always fresh.
 * 2. A candidate is first renamed into `trash/` (atomic), then its mtime is read again: a commit that touched it
 *    between the listing and the rename shows, and the object is put back. A commit that comes after the rename
 *    finds no object and stores its bytes anew.
 * 3. After the rename the database is asked again; an object referenced meanwhile is put back.
 *
 * Several processes may collect at once (API_WORKERS): a rename that finds nothing means another one took it. A
 * collector that dies between the rename and the removal leaves the object in `trash/`; the next pass puts back
 * what is referenced and removes the rest.
 */
export interface GarbageCollectOptions {
  readonly store: ContentStore;
  /** Of these content hashes, the ones some Instance row references. */
  readonly referenced: (contentHashes: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Objects and temporary files younger than this are never removed. */
  readonly graceMs: number;
  readonly now?: () => number;
  /** How many objects to look up in the database at once. */
  readonly batchSize?: number;
}

export interface GarbageCollectResult {
  scanned: number;
  removed: number;
  removedBytes: number;
  /** Candidates put back because a commit touched them or a row referenced them meanwhile. */
  kept: number;
  /** Abandoned temporary files removed. */
  tempFilesRemoved: number;
}

const OBJECT_NAME = /^([0-9a-f]{64})\.dcm$/;

export async function collectGarbage(options: GarbageCollectOptions): Promise<GarbageCollectResult> {
  const { store, graceMs } = options;
  const now = options.now ?? Date.now;
  const result: GarbageCollectResult = { scanned: 0, removed: 0, removedBytes: 0, kept: 0, tempFilesRemoved: 0 };
  const trash = path.join(store.root, 'trash');
  await mkdir(trash, { recursive: true });
  await recoverTrash(store, trash, options, now, result);

  let batch: Array<{ hash: string; file: string }> = [];
  const flush = async () => {
    const candidates = batch;
    batch = [];
    if (candidates.length === 0) return;
    const inUse = await options.referenced(candidates.map((c) => c.hash));
    for (const candidate of candidates) {
      if (inUse.has(candidate.hash)) continue;
      await removeCandidate(candidate, trash, options, now, result);
    }
  };

  for await (const object of listObjects(store.root)) {
    result.scanned += 1;
    const info = await stat(object.file).catch(() => null);
    if (!info?.isFile() || info.mtimeMs > now() - graceMs) continue;
    batch.push(object);
    if (batch.length >= (options.batchSize ?? 500)) await flush();
  }
  await flush();

  for (const name of await readdir(store.tempDir).catch(() => [] as string[])) {
    const file = path.join(store.tempDir, name);
    const info = await stat(file).catch(() => null);
    if (info?.isFile() && info.mtimeMs <= now() - graceMs) {
      await rm(file, { force: true });
      result.tempFilesRemoved += 1;
    }
  }
  return result;
}

async function removeCandidate(
  candidate: { hash: string; file: string },
  trash: string,
  options: GarbageCollectOptions,
  now: () => number,
  result: GarbageCollectResult,
): Promise<void> {
  const parked = path.join(trash, `${candidate.hash}.${randomUUID()}`);
  try {
    await rename(candidate.file, parked);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another collector took it
    throw error;
  }
  const info = await stat(parked).catch(() => null);
  if (!info) return; // another collector's trash recovery handled it
  const touched = info.mtimeMs > now() - options.graceMs;
  const referenced = !touched && (await options.referenced([candidate.hash])).has(candidate.hash);
  if (touched || referenced) {
    // Put it back. If a commit stored the same bytes anew meanwhile, this rename replaces them with equal bytes.
    await rename(parked, candidate.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    result.kept += 1;
    return;
  }
  await rm(parked, { force: true });
  result.removed += 1;
  result.removedBytes += info.size;
}

/** What a collector that died mid-way left in trash/: referenced objects go back, old unreferenced ones go. */
async function recoverTrash(
  store: ContentStore,
  trash: string,
  options: GarbageCollectOptions,
  now: () => number,
  result: GarbageCollectResult,
): Promise<void> {
  const parked = (await readdir(trash)).flatMap((name) => {
    const hash = /^([0-9a-f]{64})\./.exec(name)?.[1];
    return hash ? [{ hash, file: path.join(trash, name) }] : [];
  });
  if (parked.length === 0) return;
  const inUse = await options.referenced([...new Set(parked.map((p) => p.hash))]);
  for (const entry of parked) {
    const info = await stat(entry.file).catch(() => null);
    if (!info) continue; // another collector is handling it
    const target = path.join(store.root, ContentStore.keyFor(entry.hash));
    if (inUse.has(entry.hash) || info.mtimeMs > now() - options.graceMs) {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(entry.file, target).catch(() => {});
      result.kept += 1;
    } else {
      await rm(entry.file, { force: true });
      result.removed += 1;
      result.removedBytes += info.size;
    }
  }
}

async function* listObjects(root: string): AsyncGenerator<{ hash: string; file: string }> {
  const objects = path.join(root, 'objects');
  for (const a of await readdir(objects).catch(() => [] as string[])) {
    for (const b of await readdir(path.join(objects, a)).catch(() => [] as string[])) {
      const dir = path.join(objects, a, b);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const match = OBJECT_NAME.exec(name);
        if (match?.[1]) yield { hash: match[1], file: path.join(dir, name) };
      }
    }
  }
}

/** Runs the collector every `intervalMs` (never two passes at once in one process); logs what each pass removed. */
export class StorageGarbageCollector {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<GarbageCollectResult | null> | null = null;

  constructor(private readonly options: GarbageCollectOptions & { intervalMs: number; log?: Logger }) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One pass now (or the pass already running). */
  runOnce(): Promise<GarbageCollectResult | null> {
    if (this.running) return this.running;
    this.running = collectGarbage(this.options)
      .then((result) => {
        if (result.removed > 0 || result.tempFilesRemoved > 0)
          this.options.log?.info(
            `storage GC: removed ${result.removed} unreferenced objects (${result.removedBytes} bytes) and ${result.tempFilesRemoved} abandoned temporary files of ${result.scanned} objects`,
          );
        return result;
      })
      .catch((error: unknown) => {
        this.options.log?.error(`storage GC failed: ${String((error as Error)?.message ?? error)}`);
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
