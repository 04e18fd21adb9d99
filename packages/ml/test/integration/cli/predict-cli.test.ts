import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictReport } from '../../../src/inference/predict-files.js';
import { LABELS } from '../../../src/labels.js';
import type { ModelCard } from '../../../src/model/card.js';
import { synthStudy } from '../../../src/synth/study.js';
import { ichMl } from '../../model/ich-ml-cli.js';
import { makeTestModelDir } from '../../model/model-fixture.js';

let model: { dir: string; card: ModelCard; cleanup: () => Promise<void> };
let data: string;
const studies = [
  synthStudy({ seed: 'cli-a', slices: 6, size: 64, bleed: 'none' }),
  synthStudy({ seed: 'cli-b', slices: 5, size: 64, bleed: 'epidural', transferSyntax: 'implicit-le' }),
];

beforeAll(async () => {
  model = await makeTestModelDir({ seed: 12 });
  data = await mkdtemp(join(tmpdir(), 'ich-predict-'));
  for (const [i, s] of studies.entries()) {
    await mkdir(join(data, `study${i}`));
    for (const f of s.files) await writeFile(join(data, `study${i}`, f.name), f.bytes);
  }
  // A folder with a bad file beside good ones: reported, never fatal.
  await writeFile(join(data, 'study0', 'broken.dcm'), Buffer.from('this is not DICOM at all'));
  await writeFile(
    join(data, 'study1', 'cut.dcm'),
    studies[1]!.files[0]!.bytes.subarray(0, studies[1]!.files[0]!.bytes.length - 1000),
  );
}, 60_000);
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
  await model.cleanup();
});

describe('ich-ml predict', () => {
  it('--json: every study with per-slice probabilities in order, triage, model summary, engine; bad files listed', async () => {
    const { code, stdout, stderr } = await ichMl(['predict', data, '--model', model.dir, '--json', '--batch', '4']);
    expect(stderr).not.toMatch(/error:/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PredictReport;
    expect(report.model).toMatchObject({
      name: model.card.name,
      version: model.card.version,
      status: 'untrained',
      inputSize: 75,
      labels: [...LABELS],
    });
    expect(report.engine).toMatch(/^onnx \(onnxruntime-node [\d.]+\) on cpu/);
    expect(report.studies.map((s) => s.studyInstanceUid).sort()).toEqual(studies.map((s) => s.studyInstanceUid).sort());
    for (const synth of studies) {
      const got = report.studies.find((s) => s.studyInstanceUid === synth.studyInstanceUid)!;
      expect(got.slices.map((s) => s.sopInstanceUid)).toEqual(synth.files.map((f) => f.sopInstanceUid));
      expect(Object.keys(got.probabilities).sort()).toEqual([...LABELS].sort());
      expect(typeof got.triage).toBe('boolean');
      expect(got.modelVersion).toBe(model.card.version);
      for (const s of got.slices) for (const l of LABELS) expect(s.probabilities[l]).toBeGreaterThan(0);
    }
    const rejected = report.rejected.map((r) => [r.path.slice(data.length + 1), r.code]).sort();
    expect(rejected).toEqual([
      ['study0/broken.dcm', 'NOT_DICOM'],
      ['study1/cut.dcm', 'TRUNCATED'],
    ]);
  }, 60_000);

  it('without --json: a readable table on stdout and progress on stderr; ICH_ENGINE picks the engine', async () => {
    const { code, stdout, stderr } = await ichMl(['predict', join(data, 'study0'), '--model', model.dir], {
      ICH_ENGINE: 'tfjs',
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/UNTRAINED/);
    expect(stdout).toMatch(/engine {2}tfjs-(wasm|node|node-gpu)/);
    expect(stdout).toMatch(/study\s+slices\s+triage\s+any\s+EDH\s+IPH\s+IVH\s+SAH\s+SDH/);
    expect(stdout).toContain(studies[0]!.studyInstanceUid);
    expect(stdout).toMatch(/1 file\(s\) rejected:\n {2}.*broken\.dcm: NOT_DICOM/);
    expect(stderr).toMatch(/reading DICOM: 7\/7/);
    expect(stderr).toMatch(/inference: 6\/6 slices \(100%\)/);
  }, 60_000);

  it('without --model: installs the shipped demo model into <ICH_DATA_DIR>/models/current (the product rule) and runs it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ich-default-model-'));
    try {
      const { code, stdout, stderr } = await ichMl(['predict', join(data, 'study1'), '--json'], {
        ICH_DATA_DIR: dataDir,
        MODEL_DIR: '',
      });
      expect(stderr).toMatch(/installing the shipped ich-inception-v3-demo@\S+ \(trained\) and exporting ONNX/);
      expect(code).toBe(0);
      const report = JSON.parse(stdout) as PredictReport;
      expect(report.model).toMatchObject({ name: 'ich-inception-v3-demo', status: 'trained' });
      expect(existsSync(join(dataDir, 'models', 'current', 'model.onnx'))).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('fails with a clear message when no input is usable, or the model is missing', async () => {
    const bad = await ichMl(['predict', join(data, 'study0', 'broken.dcm'), '--model', model.dir, '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: NOT_DICOM: no usable CT study in the inputs \(1 file\(s\) rejected/);
    const noModel = await ichMl(['predict', data, '--model', join(data, 'no-model')]);
    expect(noModel.code).toBe(3);
    expect(noModel.stderr).toMatch(/error: MODEL_NOT_FOUND: no model at/);
    const badEngine = await ichMl(['predict', data, '--engine', 'cuda']);
    expect(badEngine.code).toBe(2);
    expect(badEngine.stderr).toMatch(/--engine: unknown engine "cuda"/);
  }, 60_000);
});
