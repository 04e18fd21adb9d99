import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestModelDir } from '../../test/model/model-fixture.js';
import { closeSharedDecodePool } from '../decode/pool.js';
import type { Engine } from '../engines/engine.js';
import { selectEngine } from '../engines/select-engine.js';
import { LABELS } from '../labels.js';
import type { ModelCard } from '../model/card.js';
import type { LoadedStudy } from '../pipeline/group-studies.js';
import { loadStudies } from '../pipeline/load-studies.js';
import { synthStudy } from '../synth/study.js';
import { buildBatch } from '../tensor/build-batch.js';
import { aggregate, triageDecision } from './aggregate.js';
import { inferStudy } from './infer-study.js';

let model: { dir: string; card: ModelCard; cleanup: () => Promise<void> };
let engine: Engine;
let studyDir: string;
let study: LoadedStudy;

beforeAll(async () => {
  model = await makeTestModelDir({ seed: 8 });
  engine = (await selectEngine(model.dir, { choice: 'onnx' })).engine;
  studyDir = await mkdtemp(join(tmpdir(), 'ich-study-'));
  const synth = synthStudy({ seed: 'infer', slices: 11, size: 96, bleed: 'subdural' });
  // Written in reverse name order so that slice order must come from geometry, not from the file listing.
  for (const f of [...synth.files].reverse())
    await writeFile(join(studyDir, `x${f.sopInstanceUid.slice(-6)}.dcm`), f.bytes);
  const loaded = await loadStudies([studyDir]);
  expect(loaded.rejected).toEqual([]);
  study = loaded.studies[0]!;
}, 60_000);
afterAll(async () => {
  await engine?.dispose();
  await closeSharedDecodePool();
  await rm(studyDir, { recursive: true, force: true });
  await model?.cleanup();
});

describe('study inference', () => {
  it('returns per-slice probabilities in series order and the study result as their per-label max', async () => {
    const progress: number[] = [];
    const result = await inferStudy(engine, model.card, study, { batchSize: 4, onProgress: (d) => progress.push(d) });
    expect(progress).toEqual([4, 8, 11]);
    expect(result.slices.map((s) => s.sopInstanceUid)).toEqual(study.series[0]!.slices.map((s) => s.sopInstanceUid));
    expect(result.slices.map((s) => s.instanceNumber)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    for (const label of LABELS)
      expect(result.probabilities[label]).toBe(Math.max(...result.slices.map((s) => s.probabilities[label])));
    expect(result.aggregation).toBe('max');
    expect(result.model).toEqual({ name: model.card.name, version: model.card.version, status: 'untrained' });
    expect(result.triage).toBe(triageDecision(result.probabilities, model.card.thresholds, LABELS));
  });

  it('gives the same slice probabilities whatever the batch size, equal to running each slice alone', async () => {
    const a = await inferStudy(engine, model.card, study, { batchSize: 16 });
    const b = await inferStudy(engine, model.card, study, { batchSize: 3 });
    const slices = study.series[0]!.slices;
    const alone = await engine.run(buildBatch(slices, 5, 1, { size: 75, windows: model.card.windows }), 1);
    for (let i = 0; i < 11; i++)
      for (const l of LABELS) expect(b.slices[i]!.probabilities[l]).toBeCloseTo(a.slices[i]!.probabilities[l], 5);
    LABELS.forEach((l, j) => {
      expect(a.slices[5]!.probabilities[l]).toBeCloseTo(alone[j]!, 5);
    });
  });

  it('honours another aggregation', async () => {
    const r = await inferStudy(engine, model.card, study, { aggregation: 'mean' });
    expect(r.probabilities.any).toBeCloseTo(
      aggregate(
        r.slices.map((s) => s.probabilities.any),
        'mean',
      ),
      10,
    );
  });
});

describe('aggregation and triage rules', () => {
  it('max, mean and top-3 mean', () => {
    expect(aggregate([0.1, 0.9, 0.3, 0.5], 'max')).toBe(0.9);
    expect(aggregate([0.1, 0.9, 0.3, 0.5], 'mean')).toBeCloseTo(0.45);
    expect(aggregate([0.1, 0.9, 0.3, 0.5], 'top3-mean')).toBeCloseTo((0.9 + 0.5 + 0.3) / 3);
    expect(aggregate([], 'max')).toBe(0);
  });
  it('flags a study when any label reaches its threshold', () => {
    const t = {
      any: 0.5,
      epidural: 0.3,
      intraparenchymal: 0.5,
      intraventricular: 0.5,
      subarachnoid: 0.5,
      subdural: 0.5,
    };
    const p = {
      any: 0.2,
      epidural: 0.1,
      intraparenchymal: 0.1,
      intraventricular: 0.1,
      subarachnoid: 0.1,
      subdural: 0.1,
    };
    expect(triageDecision(p, t, LABELS)).toBe(false);
    expect(triageDecision({ ...p, any: 0.5 }, t, LABELS)).toBe(true);
    expect(triageDecision({ ...p, epidural: 0.31 }, t, LABELS)).toBe(true);
  });
});
