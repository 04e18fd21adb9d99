import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ichMl } from '../../test/model/ich-ml-cli.js';
import { makeTestModelDir, testBatch } from '../../test/model/model-fixture.js';
import { readModelCard } from '../model/model-dir.js';
import { loadLayersModelFromDir } from '../model/tfjs-files.js';

const WRITER = fileURLToPath(new URL('./fixtures/write-keras-h5.py', import.meta.url));
let work: string;
let source: Awaited<ReturnType<typeof makeTestModelDir>>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ich-keras-'));
  source = await makeTestModelDir({ seed: 21, onnx: false });
  // Dump the source weights for the Python writer: names, shapes, one float32 blob.
  const model = await loadLayersModelFromDir(source.dir);
  const dump = join(work, 'dump');
  await mkdir(dump);
  const spec = model.weights.map((w) => ({ name: w.originalName, shape: w.shape }));
  const blobs = model.weights.map((w) => Buffer.from((w.read().dataSync() as Float32Array).buffer));
  await writeFile(join(dump, 'weights.json'), JSON.stringify(spec));
  await writeFile(join(dump, 'weights.bin'), Buffer.concat(blobs));
  model.dispose();
  execFileSync('/usr/bin/python3', [WRITER, dump, join(work, 'model.h5')]);
  execFileSync('/usr/bin/python3', [WRITER, dump, join(work, 'broken.h5'), '--break', 'batch_normalization_7']);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await source.cleanup();
});

describe('ich-ml import-keras', () => {
  it('round-trips an .h5 in Keras layout written by h5py: same weights, same predictions', async () => {
    const out = join(work, 'imported');
    const { code, stderr } = await ichMl(['import-keras', join(work, 'model.h5'), '--out', out, '--size', '75']);
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
    const card = await readModelCard(out);
    expect(card.status).toBe('trained');
    expect(card.architecture.denseUnits).toBe(32);
    expect(card.files.onnx).toBe('model.onnx');
    const a = await loadLayersModelFromDir(source.dir);
    const b = await loadLayersModelFromDir(out);
    expect(b.weights.map((w) => w.originalName)).toEqual(a.weights.map((w) => w.originalName));
    a.weights.forEach((w, i) => {
      expect(Buffer.from(b.weights[i]!.read().dataSync().buffer).equals(Buffer.from(w.read().dataSync().buffer))).toBe(
        true,
      );
    });
    const x = tf.tensor4d(testBatch(2, 75, 3), [2, 75, 75, 3]);
    const pa = (a.predict(x) as tf.Tensor).dataSync();
    const pb = (b.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(pb)).toEqual(Array.from(pa));
    a.dispose();
    b.dispose();
    x.dispose();
  }, 180_000);

  it('refuses a weight of the wrong shape, naming the layer', async () => {
    const { code, stderr } = await ichMl([
      'import-keras',
      join(work, 'broken.h5'),
      '--out',
      join(work, 'x'),
      '--size',
      '75',
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/BAD_USER_INPUT.*layer "batch_normalization_7" weight "\w+" has shape/);
  }, 120_000);
});
