import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelTable } from '../../../src/dataset/label-table.js';
import type { EvaluationReport } from '../../../src/evaluate/evaluate.js';
import { LABELS } from '../../../src/labels.js';
import type { ModelCard } from '../../../src/model/card.js';
import { ichMl } from '../../model/ich-ml-cli.js';
import { makeTestModelDir } from '../../model/model-fixture.js';

let work: string;
let data: string;
let model: { dir: string; card: ModelCard; cleanup: () => Promise<void> };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ich-evaluate-'));
  data = join(work, 'data');
  const synth = await ichMl([
    'synth',
    '--out',
    data,
    '--studies',
    '3',
    '--slices',
    '4',
    '--size',
    '48',
    '--seed',
    'ev',
  ]);
  expect(synth.code).toBe(0);
  model = await makeTestModelDir({ seed: 5 });
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await model?.cleanup();
});

describe('ich-ml evaluate', () => {
  it('synth writes the same labels in the wide and the RSNA ID,Label layouts', async () => {
    const wide = parseLabelTable(await readFile(join(data, 'labels.csv'), 'utf8'), 'labels.csv', { kind: 'truth' });
    const long = parseLabelTable(await readFile(join(data, 'labels-rsna.csv'), 'utf8'), 'labels-rsna.csv', {
      kind: 'truth',
    });
    expect(wide.size).toBe(12);
    expect([...long.keys()].sort()).toEqual([...wide.keys()].sort());
    for (const [id, row] of wide) expect([...long.get(id)!.values]).toEqual([...row.values]);
    expect((await readFile(join(data, 'labels-rsna.csv'), 'utf8')).split('\n')[1]).toMatch(/^ID_[\d.]+_any,[01]$/);
  });

  it('--predictions: perfect predictions score ~0, constant 0.5 scores ln 2; ROC PNG and study figures', async () => {
    const wide = parseLabelTable(await readFile(join(data, 'labels.csv'), 'utf8'), 'labels.csv', { kind: 'truth' });
    const rows = ['ID,Label'];
    for (const [id, row] of wide)
      LABELS.forEach((l, k) => {
        rows.push(`${id}_${l},${row.values[k]}`);
      });
    await writeFile(join(work, 'perfect.csv'), `${rows.join('\n')}\n`);
    const roc = join(work, 'roc.png');
    const perfect = await ichMl([
      'evaluate',
      '--predictions',
      join(work, 'perfect.csv'),
      '--labels',
      join(data, 'labels.csv'),
      '--roc',
      roc,
      '--json',
    ]);
    expect(perfect.stderr).toBe('');
    expect(perfect.code).toBe(0);
    const report = JSON.parse(perfect.stdout) as EvaluationReport;
    expect(report.images).toBe(12);
    expect(report.weightedLogLoss).toBeLessThan(1e-12);
    expect(report.baselineWeightedLogLoss).toBeGreaterThan(0);
    expect(report.study?.studies).toBe(3);
    expect(report.study?.triage.falseNegatives).toBe(0);
    const png = PNG.sync.read(await readFile(roc));
    expect(png.width).toBeGreaterThan(100);

    const half = ['ID,Label', ...rows.slice(1).map((r) => r.replace(/,[01]$/, ',0.5'))];
    await writeFile(join(work, 'half.csv'), `${half.join('\n')}\n`);
    const constant = await ichMl([
      'evaluate',
      '--predictions',
      join(work, 'half.csv'),
      '--labels',
      join(data, 'labels-rsna.csv'),
      '--json',
    ]);
    expect(constant.code).toBe(0);
    const c = JSON.parse(constant.stdout) as EvaluationReport;
    expect(c.weightedLogLoss).toBeCloseTo(Math.log(2), 12);
    // RSNA long-form labels carry no study: study figures are left out, not invented.
    expect(c.study).toBeNull();
  }, 60_000);

  it('--model --data: runs the model on the DICOM folder and reports the card thresholds', async () => {
    const { code, stdout, stderr } = await ichMl([
      'evaluate',
      '--model',
      model.dir,
      '--data',
      data,
      '--labels',
      join(data, 'labels.csv'),
      '--json',
    ]);
    expect(stderr).not.toMatch(/error:/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as EvaluationReport;
    expect(report.images).toBe(12);
    expect(Number.isFinite(report.weightedLogLoss)).toBe(true);
    expect(report.thresholdSource).toMatch(/untrained/);
    expect(report.study?.studies).toBe(3);
  }, 120_000);

  it('submission writes the Kaggle ID,Label file that evaluate reads back', async () => {
    const sub = join(work, 'sub.csv');
    const made = await ichMl(['submission', '--model', model.dir, '--data', data, '--out', sub]);
    expect(made.code).toBe(0);
    const lines = (await readFile(sub, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('ID,Label');
    expect(lines).toHaveLength(1 + 12 * 6);
    expect(lines[1]).toMatch(/^ID_[\d.]+_any,0\.\d+/);
    const scored = await ichMl(['evaluate', '--predictions', sub, '--labels', join(data, 'labels.csv'), '--json']);
    expect(scored.code).toBe(0);
    expect((JSON.parse(scored.stdout) as EvaluationReport).images).toBe(12);
  }, 120_000);

  it('refuses a malformed labels file, naming the line', async () => {
    await writeFile(join(work, 'bad.csv'), 'ID,Label\nID_abc_any,1\nID_abc_bogus,0\n');
    const { code, stderr } = await ichMl([
      'evaluate',
      '--predictions',
      join(work, 'bad.csv'),
      '--labels',
      join(work, 'bad.csv'),
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/BAD_USER_INPUT.*bad\.csv:3: ID must be <image>_<subtype>/);
  });
});
