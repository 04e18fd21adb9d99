import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestModelDir } from '../../test/model/model-fixture.js';
import { type ModelCard, parseModelCard, summarizeCard } from './card.js';
import { ensureModelDir } from './ensure-model.js';
import { CARD_FILE, exportOnnxInDir, readModelCard } from './model-dir.js';
import { resolveModelDir, shippedModelDir } from './resolve-model-dir.js';
import { readLayersArtifacts } from './tfjs-files.js';

let dir: string;
let card: ModelCard;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, card, cleanup } = await makeTestModelDir({ seed: 4, onnx: false }));
}, 60_000);
afterAll(() => cleanup());

describe('model directory', () => {
  it('init writes tfjs files and an UNTRAINED card whose weights hash matches the shards', async () => {
    const files = await readdir(dir);
    expect(files).toEqual(expect.arrayContaining(['model.json', 'card.json']));
    expect(files.some((f) => /^group1-shard\d+of\d+\.bin$/.test(f))).toBe(true);
    expect(card.status).toBe('untrained');
    expect(card.trainingData).toMatch(/UNTRAINED/);
    expect(card.limitations.join(' ')).toMatch(/UNTRAINED/);
    expect(card.architecture.baseParameters).toBe(21_802_784);
    expect(card.labels).toEqual([
      'any',
      'epidural',
      'intraparenchymal',
      'intraventricular',
      'subarachnoid',
      'subdural',
    ]);
    expect(card.windows.map((w) => [w.center, w.width])).toEqual([
      [40, 80],
      [80, 200],
      [40, 380],
    ]);
    expect((await readLayersArtifacts(dir)).weightsHash).toBe(card.weightsHash);
    expect(await readModelCard(dir)).toEqual(card);
    expect(summarizeCard(card)).not.toHaveProperty('limitations');
  });

  it('the same seed gives the same weights; another seed does not', async () => {
    const again = await makeTestModelDir({ seed: 4, onnx: false });
    const other = await makeTestModelDir({ seed: 5, onnx: false });
    try {
      expect(again.card.weightsHash).toBe(card.weightsHash);
      expect(other.card.weightsHash).not.toBe(card.weightsHash);
    } finally {
      await again.cleanup();
      await other.cleanup();
    }
  });

  it('export-onnx adds model.onnx next to the tfjs files and records it in the card', async () => {
    const { card: next, file, bytes } = await exportOnnxInDir(dir);
    expect(file).toBe(join(dir, 'model.onnx'));
    expect(bytes).toBeGreaterThan(21_802_784 * 4 * 0.9);
    expect(next.files.onnx).toBe('model.onnx');
    expect((await readModelCard(dir)).files.onnx).toBe('model.onnx');
  });

  it('names the bad field of an invalid card', async () => {
    const json = JSON.parse(await readFile(join(dir, CARD_FILE), 'utf8')) as Record<string, unknown>;
    expect(() => parseModelCard({ ...json, thresholds: { ...(json.thresholds as object), subdural: 2 } })).toThrow(
      /"thresholds.subdural" must be a probability/,
    );
    expect(() => parseModelCard({ ...json, contextSlices: 2 })).toThrow(/"contextSlices" must be 1 or 3/);
    expect(() => parseModelCard({ ...json, weightsHash: 'abc' })).toThrow(/weightsHash/);
    const broken = await makeTestModelDir({ onnx: false });
    try {
      await writeFile(join(broken.dir, CARD_FILE), '{not json');
      await expect(readModelCard(broken.dir)).rejects.toMatchObject({
        code: 'BAD_MODEL',
        message: expect.stringMatching(/not valid JSON/),
      });
      await rm(join(broken.dir, CARD_FILE));
      await expect(readModelCard(broken.dir)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    } finally {
      await broken.cleanup();
    }
  });

  it('resolves the model directory from an argument, then MODEL_DIR, then <ICH_DATA_DIR or data>/models/current', () => {
    expect(resolveModelDir('/x/y', { MODEL_DIR: '/z' })).toBe('/x/y');
    expect(resolveModelDir(undefined, { MODEL_DIR: '/z' })).toBe('/z');
    expect(resolveModelDir(undefined, { ICH_DATA_DIR: '/srv/ich/data' })).toBe('/srv/ich/data/models/current');
    const fallback = resolveModelDir(undefined, {}, join(process.cwd(), 'src'));
    expect(fallback).toMatch(/data\/models\/current$/);
    expect(fallback).not.toContain('packages/ml');
  });

  it('ensureModelDir leaves an existing model alone', async () => {
    const r = await ensureModelDir(dir);
    expect(r.created).toBe(false);
    expect(r.source).toBe('existing');
    expect(r.card.weightsHash).toBe(card.weightsHash);
  });

  it('ensureModelDir installs the shipped model into an empty directory and generates its ONNX export', async () => {
    const target = await mkdtemp(join(tmpdir(), 'ich-ensure-'));
    try {
      const r = await ensureModelDir(join(target, 'models', 'current'), { shipped: dir });
      expect(r.source).toBe('shipped');
      expect(r.card.weightsHash).toBe(card.weightsHash);
      expect(r.card.files.onnx).toBe('model.onnx');
      expect((await readdir(r.dir)).sort()).toEqual([...new Set([...(await readdir(dir)), 'model.onnx'])].sort());
      expect((await readModelCard(r.dir)).files.onnx).toBe('model.onnx');
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }, 120_000);

  it('the repository ships a trained demo model, which ensureModelDir uses by default', async () => {
    const shipped = await readModelCard(shippedModelDir());
    expect(shipped.status).toBe('trained');
    expect(shipped.trainingData).toMatch(/synthetic phantoms from ich-ml synth/);
    expect(shipped.intendedUse).toMatch(/not for clinical use/i);
    expect(shipped.files.onnx).toBeNull();
    expect(shipped.metrics?.heldoutAucAny).toBeGreaterThan(0.5);
  });
});
