import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthStudy } from '@ich/ml/node';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../storage/content-store.js';
import { IntakePool } from './intake-pool.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: ConstructorParameters<typeof IntakePool>[1] = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-intake-'));
  const store = new ContentStore(dir);
  await store.init();
  const pool = new IntakePool(dir, options);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => pool.close());
  return { store, pool };
}

/** Splits bytes into chunks the way a socket would hand them over. */
const chunked = (bytes: Uint8Array, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

describe('IntakePool', () => {
  it('parses, stores and commits each file on its threads, from chunks, in parallel', async () => {
    const { store, pool } = await setup({ threads: 2 });
    const files = synthStudy({ seed: 'intake', slices: 12, size: 64, bleed: 'none' }).files;
    const taken = await Promise.all(files.map((f) => pool.take(chunked(f.bytes, 1000))));
    for (const [i, t] of taken.entries()) {
      const bytes = (files[i] as { bytes: Uint8Array }).bytes;
      expect(t.parsed.ok && t.parsed.value.sopInstanceUid).toBe(files[i]?.sopInstanceUid);
      expect(t.temp).toMatchObject({ sizeBytes: bytes.length, contentHash: sha256(bytes), synced: true });
      expect(t.storageKey).toBe(ContentStore.keyFor(sha256(bytes)));
      expect(readFileSync(store.pathOf(t.storageKey as string)).equals(Buffer.from(bytes))).toBe(true);
      expect(existsSync(t.temp.path)).toBe(false); // renamed into the store
    }
  });

  it('keeps a file that does not parse as a temporary file with its code, uncommitted', async () => {
    const { pool } = await setup();
    const t = await pool.take([Buffer.from('not a DICOM file at all')]);
    expect(t.parsed.ok ? null : t.parsed.error.code).toBe('NOT_DICOM');
    expect(t.storageKey).toBeUndefined();
    expect(readFileSync(t.temp.path, 'utf8')).toBe('not a DICOM file at all');
  });

  it('stores identical bytes once', async () => {
    const { pool } = await setup();
    const file = synthStudy({ seed: 'intake-dup', slices: 1, size: 32, bleed: 'none' }).files[0]?.bytes as Uint8Array;
    const [a, b] = await Promise.all([pool.take([file]), pool.take([file])]);
    expect(a?.storageKey).toBe(b?.storageKey);
  });

  it('waits for buffer room rather than exceeding its bound, and refuses a file larger than the bound', async () => {
    const { pool } = await setup({ threads: 4, bufferBytes: 2 * 1024 * 1024 });
    const files = synthStudy({ seed: 'intake-bound', slices: 10, size: 256, bleed: 'none' }).files; // ~130 kB each
    const big = files.map((f) => Buffer.concat([f.bytes, Buffer.alloc(900 * 1024)])); // just over 1 MiB: a 2 MiB buffer each
    const taken = await Promise.all(big.map((b) => pool.take([b])));
    expect(taken.map((t) => t.temp.sizeBytes)).toEqual(big.map((b) => b.length));
    expect(pool.peakBufferBytes).toBe(2 * 1024 * 1024); // each needs a 2 MiB buffer: one at a time
    await expect(pool.take([Buffer.alloc(3 * 1024 * 1024)])).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('takes a file as large as its bound when the bound is not a whole number of buffer quanta', async () => {
    const { pool } = await setup({ bufferBytes: 1.5 * 1024 * 1024 });
    const taken = await pool.take([Buffer.alloc(1.25 * 1024 * 1024, 7)]);
    expect(taken.temp.sizeBytes).toBe(1.25 * 1024 * 1024);
    expect(taken.parsed.ok).toBe(false);
  });

  it('fails the files of a thread that dies with INTERNAL, and goes on with new threads', async () => {
    const dying = new URL(
      `data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => process.exit(3));")}`,
    );
    const { pool } = await setup({ threads: 1, workerUrl: dying });
    await expect(pool.take([Buffer.from('x')])).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('exited with code 3'),
    });
    await expect(pool.take([Buffer.from('y')])).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
