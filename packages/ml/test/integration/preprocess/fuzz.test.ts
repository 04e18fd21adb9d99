import { closeSharedDecodePool, decodeToHounsfield, type SynthFile, synthStudy } from '@ich/ml/node';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch, transcode } from './helpers.js';

/**
 * Mutated and truncated files in every supported encoding: each case must end in a result or a coded error, in
 * bounded time, without crashing or hanging the process. Mutations are seeded, so a failure is reproducible.
 */
/** The codes a file may legitimately fail with; INTERNAL (a bug) is deliberately absent. */
const ERROR_CODES_FOR_FILES = [
  'NOT_DICOM',
  'TRUNCATED',
  'NO_PIXEL_DATA',
  'UNSUPPORTED_TRANSFER_SYNTAX',
  'UNSUPPORTED_PHOTOMETRIC',
  'UNSUPPORTED_PIXEL_FORMAT',
  'DECODE_FAILED',
  'DECODE_TIMEOUT',
  'BAD_DICOM',
];

const tmp = scratch('fuzz');
afterAll(async () => {
  tmp.remove();
  await closeSharedDecodePool();
});

const base = (synthStudy({ seed: 'fuzz', slices: 4, size: 48, bleed: 'subdural' }).files[2] as SynthFile).bytes;
const SOURCES: Record<string, () => Uint8Array> = {
  'explicit-le': () => base,
  'implicit-le': () =>
    (synthStudy({ seed: 'fuzz', slices: 4, size: 48, transferSyntax: 'implicit-le' }).files[2] as SynthFile).bytes,
  'explicit-be': () =>
    (synthStudy({ seed: 'fuzz', slices: 4, size: 48, transferSyntax: 'explicit-be' }).files[2] as SynthFile).bytes,
  deflated: () =>
    (synthStudy({ seed: 'fuzz', slices: 4, size: 48, transferSyntax: 'deflated' }).files[2] as SynthFile).bytes,
  rle: () => (synthStudy({ seed: 'fuzz', slices: 4, size: 48, transferSyntax: 'rle' }).files[2] as SynthFile).bytes,
  'jpeg-lossless': () => transcode(tmp.dir, 'jl', base, 'dcmcjpeg', (s, d) => ['+e1', s, d]),
  'jpeg-ls': () => transcode(tmp.dir, 'jls', base, 'dcmcjpls', (s, d) => [s, d]),
  jpeg2000: () => transcode(tmp.dir, 'j2k', base, 'gdcmconv', (s, d) => ['--j2k', s, d]),
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 4294967296;
  };
}

function mutate(bytes: Uint8Array, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(bytes);
  const kind = seed % 4;
  if (kind === 0) {
    // Random byte flips anywhere.
    for (let k = 0; k < 1 + Math.floor(r() * 8); k += 1) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  } else if (kind === 1) {
    // Flips in the data set header region, where lengths and VRs live.
    for (let k = 0; k < 1 + Math.floor(r() * 4); k += 1)
      out[132 + Math.floor(r() * Math.min(900, out.length - 132))] = Math.floor(r() * 256);
  } else if (kind === 2) {
    // Flips in the last quarter (pixel data and compressed bitstreams).
    const from = Math.floor(out.length * 0.75);
    for (let k = 0; k < 1 + Math.floor(r() * 16); k += 1)
      out[from + Math.floor(r() * (out.length - from))] = Math.floor(r() * 256);
  } else {
    return out.subarray(0, Math.floor(r() * out.length));
  }
  return out;
}

describe.each(Object.keys(SOURCES))('fuzzing %s', (name) => {
  it('every mutated or truncated file ends in a result or a coded error', async () => {
    const source = (SOURCES[name] as () => Uint8Array)();
    const codes = new Map<string, number>();
    for (let seed = 1; seed <= 200; seed += 1) {
      const started = Date.now();
      const r = await decodeToHounsfield(mutate(source, seed * 7919 + name.length), { timeoutMs: 3_000 });
      expect(Date.now() - started, `seed ${seed}`).toBeLessThan(10_000);
      const code = r.ok ? 'ok' : r.error.code;
      if (!r.ok) {
        expect(ERROR_CODES_FOR_FILES, `seed ${seed}: ${r.error.message}`).toContain(r.error.code);
        expect(r.error.message).not.toMatch(/\n/);
      } else {
        expect(r.value.hu.length).toBe(r.value.rows * r.value.columns);
      }
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    if (process.env.FUZZ_DEBUG) console.log(name, JSON.stringify([...codes]));
    // The mutations must actually exercise failures, or the test proves little.
    expect(
      [...codes.keys()].some((c) => c !== 'ok'),
      JSON.stringify([...codes]),
    ).toBe(true);
  });
});
