import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ichMl } from '../../test/model/ich-ml-cli.js';
import { buildBatch } from '../tensor/build-batch.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { IDENTITY, renderAugmented } from './augment.js';
import { buildDatasetIndex, type DatasetImage, joinLabels } from './dataset-index.js';
import { BatchGenerator, planEpoch } from './generator.js';
import { readLabelTable } from './label-table.js';
import { splitByPatient } from './split.js';

let data: string;
let dataset: DatasetImage[];

beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), 'ich-dataset-'));
  const synth = await ichMl([
    'synth',
    '--out',
    data,
    '--studies',
    '8',
    '--studies-per-patient',
    '2',
    '--slices',
    '5',
    '--size',
    '40',
    '--seed',
    'ds',
  ]);
  expect(synth.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

describe('dataset index', () => {
  it('reads PatientID and position from the headers once, then reuses the index file', async () => {
    const first = await buildDatasetIndex(data);
    expect(first.reused).toBe(false);
    expect(first.images).toHaveLength(40);
    expect(new Set(first.images.map((im) => im.patientId)).size).toBe(4);
    const again = await buildDatasetIndex(data);
    expect(again.reused).toBe(true);
    expect(again.images).toEqual(first.images);

    const labels = await readLabelTable(join(data, 'labels-rsna.csv'), { kind: 'truth' });
    const joined = joinLabels(first.images, labels);
    expect(joined.unlabelled).toBe(0);
    expect(joined.missingFiles).toBe(0);
    dataset = joined.dataset;
    // Neighbours follow the slice positions: the middle slice of a study sits between slices 2 and 4.
    const middle = dataset.find((im) => im.file.endsWith('study-001/0003.dcm'))!;
    expect([middle.previous, middle.next].map((f) => f.slice(-8))).toEqual(['0002.dcm', '0004.dcm']);
    const first1 = dataset.find((im) => im.file.endsWith('study-001/0001.dcm'))!;
    expect(first1.previous).toBe(first1.file);
  });
});

describe('patient split', () => {
  it('never puts one patient in two splits, for any seed and fraction', () => {
    const images = Array.from({ length: 600 }, (_, i) => ({ patientId: `P${(i * 7919) % 53}`, i }));
    for (const fraction of [0.1, 0.2, 0.5])
      for (const seed of ['a', 'b', 'c']) {
        const { train, val, valPatients, trainPatients } = splitByPatient(images, fraction, seed);
        const t = new Set(train.map((x) => x.patientId));
        const v = new Set(val.map((x) => x.patientId));
        expect([...t].filter((p) => v.has(p))).toEqual([]);
        expect(train.length + val.length).toBe(images.length);
        expect(valPatients).toBe(Math.round(fraction * 53));
        expect(trainPatients + valPatients).toBe(53);
      }
    expect(splitByPatient(dataset, 0.25, 'x').valPatients).toBe(1);
  });
});

describe('augmentation and the batch generator', () => {
  it('the identity augmentation renders exactly what inference preprocessing builds', () => {
    const rows = 23;
    const columns = 31;
    const hu = Float32Array.from({ length: rows * columns }, (_, i) => ((i * 37) % 200) - 60);
    const want = buildBatch([{ hu, rows, columns }], 0, 1, { size: 17 });
    const got = new Float32Array(want.length);
    renderAugmented([hu, hu, hu], rows, columns, DEFAULT_WINDOWS, 17, IDENTITY, got, 0);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i]! - got[i]!));
    expect(worst).toBeLessThan(1e-6);
  });

  it('oversamples any-positive slices', () => {
    const positives = dataset.filter((im) => im.labels[0] === 1).length;
    expect(positives).toBeGreaterThan(0);
    const plan = planEpoch(dataset, 0, 's', 3, true);
    expect(plan.order.length).toBe(dataset.length + 2 * positives);
    expect(planEpoch(dataset, 0, 's', 3, true).order).toEqual(plan.order);
    expect(planEpoch(dataset, 1, 's', 3, true).order).not.toEqual(plan.order);
  });

  it('worker threads deliver the same batches, in order, as the calling thread', async () => {
    const options = { dataDir: data, size: 24, windows: DEFAULT_WINDOWS, context: true, batchSize: 6, seed: 'g' };
    const plan = planEpoch(dataset, 0, 'g', 2, true);
    const inThread = new BatchGenerator(dataset, { ...options, workers: 0 });
    const threaded = new BatchGenerator(dataset, { ...options, workers: 2, prefetch: 3 });
    try {
      const a = [];
      for await (const b of inThread.batches(plan, 0)) a.push(b);
      const b = [];
      for await (const x of threaded.batches(plan, 0)) b.push(x);
      expect(b.length).toBe(Math.ceil(plan.order.length / 6));
      expect(b.map((x) => x.n)).toEqual(a.map((x) => x.n));
      for (let i = 0; i < a.length; i++) {
        expect(Buffer.from(b[i]!.x.buffer).equals(Buffer.from(a[i]!.x.buffer))).toBe(true);
        expect([...b[i]!.y]).toEqual([...a[i]!.y]);
      }
      const x = a[0]!.x;
      expect(x.length).toBe(6 * 24 * 24 * 3);
      expect(Math.max(...x)).toBeLessThanOrEqual(1);
      expect(Math.max(...x)).toBeGreaterThan(0.5);
    } finally {
      await threaded.close();
    }
  });
});
