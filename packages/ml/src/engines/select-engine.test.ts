import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestModelDir, maxRelativeError, testBatch } from '../../test/model/model-fixture.js';
import type { ModelCard } from '../model/card.js';
import { CARD_FILE, ONNX_FILE } from '../model/model-dir.js';
import type { Engine } from './engine.js';
import {
  disposeSharedEngines,
  engineChoiceFrom,
  parseEngineChoice,
  selectEngine,
  sharedEngine,
} from './select-engine.js';

let dir: string;
let card: ModelCard;
let cleanup: () => Promise<void>;
const engines: Engine[] = [];
const keep = <T extends { engine: Engine }>(s: T): T => {
  engines.push(s.engine);
  return s;
};

beforeAll(async () => {
  ({ dir, card, cleanup } = await makeTestModelDir({ seed: 21 }));
}, 60_000);
afterAll(async () => {
  for (const e of engines) await e.dispose();
  await disposeSharedEngines();
  await cleanup();
});

/** A copy of the model directory without its ONNX export (as if export-onnx was never run). */
async function copyWithoutOnnx(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'ich-model-noonnx-'));
  for (const f of await readdir(dir)) if (f !== ONNX_FILE) await copyFile(join(dir, f), join(copy, f));
  const c = JSON.parse(await (await import('node:fs/promises')).readFile(join(copy, CARD_FILE), 'utf8')) as ModelCard;
  await writeFile(join(copy, CARD_FILE), JSON.stringify({ ...c, files: { ...c.files, onnx: null } }));
  return copy;
}

describe('engine selection', () => {
  it('auto picks onnxruntime on CPU and says what and where it is', async () => {
    const { engine, skipped } = keep(await selectEngine(dir, { choice: 'auto' }));
    expect(engine.name).toBe('onnx');
    expect(engine.device).toMatch(/^cpu \(\d+ threads?\)$|^cuda/);
    expect(engine.runtime).toMatch(/^onnxruntime-node \d+\.\d+/);
    expect(skipped).toEqual([]);
    expect([engine.inputSize, engine.channels, engine.outputs]).toEqual([75, 3, 6]);
  });

  it('"tfjs" falls back past the libtensorflow backends that did not install, to tfjs-wasm', async () => {
    const { engine, skipped } = keep(await selectEngine(dir, { choice: 'tfjs' }));
    expect(['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm']).toContain(engine.name);
    // Every backend before the chosen one is listed with its reason; here tfjs-node(-gpu) cannot install.
    const order = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'];
    expect(skipped.map((s) => s.kind)).toEqual(order.slice(0, order.indexOf(engine.name)));
    for (const s of skipped) expect(s.reason).toMatch(/not installed or failed to load|did not initialise/);
    if (engine.name === 'tfjs-wasm') expect(engine.device).toBe('cpu (wasm, 1 thread)');
  });

  it('auto falls back to tfjs when onnxruntime is missing', async () => {
    const { engine, skipped } = keep(await selectEngine(dir, { modules: { onnx: 'onnxruntime-node-not-installed' } }));
    expect(engine.name).toMatch(/^tfjs-/);
    expect(skipped[0]).toEqual({
      kind: 'onnx',
      reason: expect.stringMatching(/onnxruntime-node-not-installed is not installed/),
    });
  });

  it('auto falls back when the model directory has no ONNX export; --engine onnx then fails with ENGINE_UNAVAILABLE', async () => {
    const copy = await copyWithoutOnnx();
    try {
      const { engine, skipped } = keep(await selectEngine(copy, { choice: 'auto', warmUp: false }));
      expect(engine.name).toMatch(/^tfjs-/);
      expect(skipped[0]?.reason).toMatch(/no ONNX export/);
      await expect(selectEngine(copy, { choice: 'onnx' })).rejects.toMatchObject({
        code: 'ENGINE_UNAVAILABLE',
        message: expect.stringMatching(/no ONNX export/),
      });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('reports ENGINE_UNAVAILABLE naming every reason when nothing can load', async () => {
    await expect(
      selectEngine(dir, {
        choice: 'tfjs',
        modules: { 'tfjs-node-gpu': 'nope-gpu', 'tfjs-node': 'nope-node', 'tfjs-wasm': 'nope-wasm' },
      }),
    ).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(/nope-gpu.*nope-node.*nope-wasm/),
    });
  });

  it('a corrupt ONNX file is BAD_MODEL (reported, not silently skipped)', async () => {
    const copy = await copyWithoutOnnx();
    try {
      const c = JSON.parse(
        await (await import('node:fs/promises')).readFile(join(copy, CARD_FILE), 'utf8'),
      ) as ModelCard;
      await writeFile(join(copy, CARD_FILE), JSON.stringify({ ...c, files: { ...c.files, onnx: ONNX_FILE } }));
      await writeFile(join(copy, ONNX_FILE), Buffer.from('not a protobuf'));
      await expect(selectEngine(copy)).rejects.toMatchObject({
        code: 'BAD_MODEL',
        message: expect.stringMatching(/onnx: cannot load/),
      });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('a missing model directory is MODEL_NOT_FOUND, not a fallback', async () => {
    await expect(selectEngine(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('tfjs refuses weights that do not match the card hash', async () => {
    const copy = await copyWithoutOnnx();
    try {
      const shard = (await readdir(copy)).find((f) => f.endsWith('.bin'))!;
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(join(copy, shard));
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(join(copy, shard), bytes);
      await expect(selectEngine(copy, { choice: 'tfjs-wasm' })).rejects.toMatchObject({
        code: 'BAD_MODEL',
        message: expect.stringMatching(/weightsHash/),
      });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('onnx and tfjs engines give the same probabilities within 1e-4 on the same NHWC batch', async () => {
    const onnx = keep(await selectEngine(dir, { choice: 'onnx' })).engine;
    const tfjs = keep(await selectEngine(dir, { choice: 'tfjs' })).engine;
    const x = testBatch(2, 75, 3, 0.5);
    const a = await onnx.run(x, 2);
    const b = await tfjs.run(x, 2);
    expect(a).toHaveLength(12);
    expect(maxRelativeError(a, b)).toBeLessThan(1e-4);
    for (const p of a) expect(p).toBeGreaterThan(0);
  });

  it('rejects a batch of the wrong length, naming the expected shape', async () => {
    const { engine } = await sharedEngine(dir);
    await expect(engine.run(new Float32Array(10), 1)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/75×75×3 = 16875/),
    });
  });

  it('shares one engine per directory and choice within a process', async () => {
    const a = await sharedEngine(dir, { choice: 'onnx' });
    const b = await sharedEngine(dir, { choice: 'onnx' });
    expect(a.engine).toBe(b.engine);
    expect(a.card.weightsHash).toBe(card.weightsHash);
  });
});

describe('engine choice', () => {
  it('reads --engine first, then ICH_ENGINE, else auto, and rejects unknown names', () => {
    expect(engineChoiceFrom(undefined, {})).toBe('auto');
    expect(engineChoiceFrom(undefined, { ICH_ENGINE: 'tfjs' })).toBe('tfjs');
    expect(engineChoiceFrom('onnx', { ICH_ENGINE: 'tfjs' })).toBe('onnx');
    expect(() => engineChoiceFrom(undefined, { ICH_ENGINE: 'cuda' })).toThrow(/ICH_ENGINE: unknown engine "cuda"/);
    expect(() => parseEngineChoice('gpu')).toThrow(/use one of auto, onnx, tfjs/);
  });
});
