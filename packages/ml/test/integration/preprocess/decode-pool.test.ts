import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DecodePool, type SynthFile, synthStudy } from '@ich/ml/node';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch, transcode } from './helpers.js';

const MISBEHAVING = new URL('./fixtures/misbehaving-worker.mjs', import.meta.url);
const spec = { rows: 1, columns: 4, bitsAllocated: 8, signed: false };
const tmp = scratch('pool');
afterAll(() => tmp.remove());

describe('DecodePool', () => {
  it('times out a frame, replaces the worker, and keeps serving', async () => {
    const pool = new DecodePool({ size: 1, workerUrl: MISBEHAVING });
    try {
      const started = Date.now();
      const hung = await pool.decode({ codec: 'jpeg2000', frame: Uint8Array.of(1, 0, 0, 0), spec }, 300);
      expect(!hung.ok && hung.error.code).toBe('DECODE_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
      const next = await pool.decode({ codec: 'jpeg2000', frame: Uint8Array.of(9, 8, 7, 6), spec }, 5_000);
      expect(next.ok && Array.from(next.value)).toEqual([9, 8, 7, 6]);
    } finally {
      await pool.close();
    }
  });

  it('reports a crashed worker as DECODE_FAILED and replaces it', async () => {
    const pool = new DecodePool({ size: 2, workerUrl: MISBEHAVING });
    try {
      const results = await Promise.all([
        pool.decode({ codec: 'jpeg-ls', frame: Uint8Array.of(2, 0, 0, 0), spec }),
        pool.decode({ codec: 'jpeg-ls', frame: Uint8Array.of(3, 3, 3, 3), spec }),
        pool.decode({ codec: 'jpeg-ls', frame: Uint8Array.of(4, 4, 4, 4), spec }),
      ]);
      expect(!results[0]?.ok && results[0]?.error.code).toBe('DECODE_FAILED');
      expect(results.slice(1).every((r) => r.ok)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('runs frames in parallel up to its size, queueing the rest', async () => {
    const pool = new DecodePool({ size: 2, workerUrl: MISBEHAVING });
    try {
      const all = await Promise.all(
        Array.from({ length: 9 }, (_, i) => pool.decode({ codec: 'rle', frame: Uint8Array.of(10 + i, 0, 0, 0), spec })),
      );
      expect(all.map((r) => (r.ok ? r.value[0] : -1))).toEqual(Array.from({ length: 9 }, (_, i) => 10 + i));
    } finally {
      await pool.close();
    }
  });

  it('does not keep the process alive after the work is done', () => {
    const study = synthStudy({ seed: 'exit', slices: 2, size: 64 });
    const j2k = transcode(tmp.dir, 'exit', (study.files[0] as SynthFile).bytes, 'gdcmconv', (s, d) => ['--j2k', s, d]);
    const path = tmp.path('exit-j2k.dcm');
    writeFileSync(path, j2k);
    // The child's own clock: a busy machine slows start-up and decoding, not the exit this test is about.
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('./fixtures/exit-check.mjs', import.meta.url)), path],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const [result, lingered] = r.stdout.trim().split('\n');
    expect(result).toBe('ok 4096');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(Number(lingered?.replace('lingered ', ''))).toBeLessThan(2_000);
  });
});
