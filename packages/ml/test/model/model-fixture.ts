import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelCard } from '../../src/model/card.js';
import { initModel } from '../../src/model/init-model.js';

/**
 * A real, small model directory for tests: full InceptionV3 at 75 px (the smallest input Keras allows) with seeded
 * weights, tfjs files, card and (by default) the ONNX export, in a fresh temp folder.
 */
export async function makeTestModelDir(
  options: { seed?: number; onnx?: boolean; inputSize?: number; contextSlices?: 1 | 3 } = {},
): Promise<{ dir: string; card: ModelCard; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ich-model-'));
  const card = await initModel({
    out: dir,
    inputSize: options.inputSize ?? 75,
    seed: options.seed ?? 3,
    denseUnits: 32,
    onnx: options.onnx ?? true,
    ...(options.contextSlices ? { contextSlices: options.contextSlices } : {}),
  });
  return { dir, card, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A deterministic NHWC batch with structure at several scales (not constant, not pure noise). */
export function testBatch(n: number, size: number, channels: number, phase = 0): Float32Array {
  const x = new Float32Array(n * size * size * channels);
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let y = 0; y < size; y++)
      for (let xx = 0; xx < size; xx++)
        for (let c = 0; c < channels; c++)
          x[k++] = Math.sin((y * (c + 1)) / 7 + phase + i) * Math.cos(xx / (3 + i + c)) + ((y * xx + c) % 5) / 10;
  return x;
}

/** Largest |a-b| / max(|a|, |b|, floor): relative error with a floor so values near 0 do not dominate. */
export function maxRelativeError(a: Float32Array, b: Float32Array, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor));
  return worst;
}
