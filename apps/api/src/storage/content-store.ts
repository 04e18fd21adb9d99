import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@ich/errors';

/** A file written under STORAGE_DIR/tmp but not yet in the store: its size and SHA-256 were taken while writing. */
export interface TempFile {
  path: string;
  sizeBytes: number;
  /** Hex SHA-256 of the content. */
  contentHash: string;
}

const HASH_KEY = /^[0-9a-f]{64}$/;

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

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(path.join(this.root, 'objects'), { recursive: true });
  }

  /**
   * Streams `source` into a new temporary file, hashing as it goes; more than `maxBytes` aborts with
   * PAYLOAD_TOO_LARGE and a full disk with STORAGE_FULL (the partial file is removed either way).
   */
  async writeTemp(source: Readable, maxBytes: number): Promise<TempFile> {
    const file = this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > maxBytes)
              throw new AppError('PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`, { maxBytes });
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(file, { flags: 'wx' }),
      );
    } catch (error) {
      await rm(file, { force: true });
      throw storageError(error);
    }
    return { path: file, sizeBytes: size, contentHash: hash.digest('hex') };
  }

  /** Writes bytes already in memory as a temporary file (tests, generated objects). */
  async writeTempBytes(bytes: Uint8Array): Promise<TempFile> {
    const { Readable } = await import('node:stream');
    return this.writeTemp(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), Infinity);
  }

  /**
   * Moves a temporary file into the store under its content hash and returns the storage key. When the object
   * exists already (same bytes stored before), the temporary file is dropped.
   */
  async commit(temp: TempFile): Promise<string> {
    const key = ContentStore.keyFor(temp.contentHash);
    const target = path.join(this.root, key);
    try {
      if (await exists(target)) {
        await rm(temp.path, { force: true });
        return key;
      }
      await fsyncPath(temp.path, 'r+');
      const dir = path.dirname(target);
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

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
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
