import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@ich/errors';

/** A file written under STORAGE_DIR/tmp but not yet in the store: its size and SHA-256 were taken while writing. */
export interface TempFile {
  path: string;
  sizeBytes: number;
  /** Hex SHA-256 of the content. */
  contentHash: string;
  /** Already fsynced (commit then only renames and syncs the directory). */
  synced?: boolean;
}

const HASH_KEY = /^[0-9a-f]{64}$/;
const WRITE_BATCH_BYTES = 1024 * 1024;
const STALE_TEMP_MS = 24 * 3_600_000;

/**
 * Instances stored by content: `objects/<h0h1>/<h2h3>/<sha256>.dcm` under STORAGE_DIR. The storage key (the path
 * relative to STORAGE_DIR) is what `Instance.storageKey` holds and what the worker opens as join(storageDir, key).
 *
 * Crash safety: a file becomes visible under its final name only by rename(2) after its bytes are fsynced, and the
 * directory is fsynced after the rename, so a crash leaves either no object or a complete one, never a torn one.
 * Identical bytes share one object, so storing a duplicate is free and objects are never rewritten. Objects are
 * written before the database records them: a crash in between leaves an unreferenced object, never a row that
 * points at nothing.
 */
export class ContentStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, 'tmp');
  }

  /**
   * Creates the folders and removes temporary files a crashed process left behind. Only files older than a day go:
   * other API processes (API_WORKERS) share the folder and may be writing theirs right now.
   */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(path.join(this.root, 'objects'), { recursive: true });
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const info = await stat(file).catch(() => null);
      if (info?.isFile() && info.mtimeMs < cutoff) await rm(file, { force: true });
    }
  }

  /**
   * Writes `source` into a new temporary file, hashing as it goes (and fsyncs it with `sync`, else commit does); more than `maxBytes` aborts with
   * PAYLOAD_TOO_LARGE and a full disk with STORAGE_FULL (the partial file is removed either way). Chunks are
   * gathered into writes of about 1 MiB: one system call per network chunk would cost more than the disk does.
   */
  async writeTemp(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    maxBytes: number,
    options: { sync?: boolean } = {},
  ): Promise<TempFile> {
    const file = this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    let handle: FileHandle | null = null;
    try {
      handle = await open(file, 'wx');
      const out = handle;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const buffer = pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        for (let at = 0; at < buffer.length; ) {
          const { bytesWritten } = await out.write(buffer, at, buffer.length - at);
          at += bytesWritten;
        }
      };
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes)
          throw new AppError('PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`, { maxBytes });
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
      if (options.sync) await out.sync();
      await out.close();
      handle = null;
    } catch (error) {
      await handle?.close().catch(() => {});
      await rm(file, { force: true });
      throw storageError(error);
    }
    return { path: file, sizeBytes: size, contentHash: hash.digest('hex'), synced: options.sync === true };
  }

  /** Writes bytes already in memory as a temporary file (generated objects, tests). */
  async writeTempBytes(bytes: Uint8Array): Promise<TempFile> {
    return this.writeTemp([bytes], Number.POSITIVE_INFINITY);
  }

  /**
   * `writeTempBytes` then (with `commit`) `commit`, blocking, for a thread whose only job is storing (the intake
   * threads): the same steps and the same crash safety, without the ten thread-pool round trips per file the
   * asynchronous pair costs an event loop. Never call it on the event loop.
   */
  storeSync(bytes: Uint8Array, commit: boolean): { temp: TempFile; storageKey?: string } {
    const file = this.tempPath();
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    const temp: TempFile = { path: file, sizeBytes: bytes.length, contentHash, synced: true };
    try {
      const fd = openSync(file, 'wx');
      try {
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (!commit) return { temp };
      const key = ContentStore.keyFor(contentHash);
      const target = path.join(this.root, key);
      const dir = path.dirname(target);
      if (touchSync(target)) {
        rmSync(file, { force: true });
        fsyncPathSync(dir); // see commit: the object may be another request's, renamed but not yet made durable
        return { temp, storageKey: key };
      }
      mkdirSync(dir, { recursive: true });
      renameSync(file, target);
      fsyncPathSync(dir);
      return { temp, storageKey: key };
    } catch (error) {
      rmSync(file, { force: true });
      throw storageError(error);
    }
  }

  /**
   * Moves a temporary file into the store under its content hash and returns the storage key. When the object
   * exists already (same bytes stored before), the temporary file is dropped.
   */
  async commit(temp: TempFile): Promise<string> {
    const key = ContentStore.keyFor(temp.contentHash);
    const target = path.join(this.root, key);
    try {
      // A known object is touched, not rewritten: its fresh mtime tells the garbage collector (garbage-collect.ts) that
      // a row is about to reference it. If the collector moved it away first, the touch fails and it is stored anew.
      const dir = path.dirname(target);
      if (await touch(target)) {
        await rm(temp.path, { force: true });
        // The object may be a parallel request's, renamed but its directory not yet fsynced: a row recorded now must
        // not outlive it in a crash, so its entry is made durable here too (nearly free when it already is).
        await fsyncPath(dir, 'r');
        return key;
      }
      if (!temp.synced) await fsyncPath(temp.path, 'r+');
      await mkdir(dir, { recursive: true });
      await rename(temp.path, target);
      await fsyncPath(dir, 'r');
      return key;
    } catch (error) {
      await rm(temp.path, { force: true });
      throw storageError(error);
    }
  }

  async discard(temp: TempFile | string): Promise<void> {
    await rm(typeof temp === 'string' ? temp : temp.path, { force: true });
  }

  /** The absolute path of a stored object; refuses keys that are not this store's (no path escapes). */
  pathOf(storageKey: string): string {
    const parts = storageKey.split('/');
    const name = parts[3]?.replace(/\.dcm$/, '') ?? '';
    if (
      parts.length !== 4 ||
      parts[0] !== 'objects' ||
      !HASH_KEY.test(name) ||
      storageKey !== ContentStore.keyFor(name)
    )
      throw new AppError('INTERNAL', `not a storage key: ${storageKey}`);
    return path.join(this.root, storageKey);
  }

  async read(storageKey: string): Promise<Buffer> {
    return readFile(this.pathOf(storageKey));
  }

  static keyFor(contentHash: string): string {
    return `objects/${contentHash.slice(0, 2)}/${contentHash.slice(2, 4)}/${contentHash}.dcm`;
  }

  tempPath(suffix = ''): string {
    return path.join(this.tmpDir, `${randomUUID()}${suffix}`);
  }

  get tempDir(): string {
    return this.tmpDir;
  }
}

/** Sets a file's times to now; false when it does not exist. */
async function touch(file: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(file, now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function touchSync(file: string): boolean {
  const now = new Date();
  try {
    utimesSync(file, now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function fsyncPathSync(target: string): void {
  const fd = openSync(target, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncPath(target: string, flags: string): Promise<void> {
  const handle = await open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** ENOSPC / EDQUOT are the server's problem, not the client's file: say so with STORAGE_FULL. */
export function storageError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new AppError('STORAGE_FULL', 'The storage volume is full; nothing from this request was recorded.');
  return error;
}
