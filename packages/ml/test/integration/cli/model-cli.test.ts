import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelBenchResult } from '../../../src/bench/model.js';
import type { ModelCard } from '../../../src/model/card.js';
import { ichMl } from '../../model/ich-ml-cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ich-cli-model-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** The model-directory commands and the benchmark's plumbing, at 75 px so they stay fast (figures are not tested). */
describe('ich-ml init-model, export-onnx, bench', () => {
  it('init-model writes an UNTRAINED model directory; export-onnx (re)writes its ONNX file', async () => {
    const dir = join(work, 'model');
    const init = await ichMl(['init-model', '--out', dir, '--size', '75', '--seed', '9', '--no-onnx', '--json']);
    expect(init.code).toBe(0);
    const { card } = JSON.parse(init.stdout) as { card: ModelCard };
    expect(card).toMatchObject({
      status: 'untrained',
      inputSize: 75,
      version: '0.0.0-untrained+seed9',
      files: { onnx: null },
    });
    expect(init.stderr).toMatch(/writing an UNTRAINED 75px InceptionV3 model/);
    const exported = await ichMl(['export-onnx', dir]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/model\.onnx: \d+\.\d MB/);
    expect(await readdir(dir)).toContain('model.onnx');
    expect((JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard).files.onnx).toBe('model.onnx');
    const bad = await ichMl(['init-model', '--out', dir, '--size', '50']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--size must be an integer from 75 to 512, not "50"/);
  }, 120_000);

  it('bench: table with every engine (absent ones said so), the PyTorch row, JSON in --out', async () => {
    const out = join(work, 'results');
    const r = await ichMl([
      'bench',
      '--size',
      '75',
      '--batches',
      '1,2',
      '--runs',
      '1',
      '--engines',
      'onnx,tfjs-node',
      '--no-e2e',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/InceptionV3 75px inference/);
    expect(r.stdout).toMatch(/^onnx\s+cpu \(\d+ threads?\)\s+[\d.]+\s+[\d.]+\s+[\d.]+ \([\d.]+\)\s+[\d.]+ \([\d.]+\)/m);
    expect(r.stdout).toMatch(/^tfjs-node\s+not available/m);
    expect(r.stdout).toMatch(/note: tfjs-node: .*not installed/);
    expect(r.stdout).toMatch(/^PyTorch \(reference\)/m);
    const json = JSON.parse(await readFile(join(out, 'model-latest.json'), 'utf8')) as ModelBenchResult;
    const onnx = json.engines.find((e) => e.engine === 'onnx');
    expect(onnx?.available).toBe(true);
    if (onnx?.available) {
      expect(onnx.batches.map((b) => b.batch)).toEqual([1, 2]);
      expect(onnx.batches.every((b) => b.status === 'measured' && b.imagesPerSecond! > 0)).toBe(true);
      expect(onnx.peakRssMiB).toBeGreaterThan(50);
    }
    if (json.reference?.available) expect(json.ratios.onnx?.['1']).toBeGreaterThan(0);
  }, 180_000);
});
