import { isAppError } from '@ich/errors';
import { describe, expect, it } from 'vitest';
import { enumFlag, enumListFlag, intFlag, intListFlag, numberFlag } from './flags.js';
import { MODEL_RUN_USAGE, modelRunFlags } from './model-run.js';

/** The BAD_USER_INPUT message `read` throws (fails the test if it returns or throws anything else). */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (thrown) {
    if (isAppError(thrown) && thrown.code === 'BAD_USER_INPUT') return thrown.message;
    throw thrown;
  }
  throw new Error('expected a BAD_USER_INPUT error');
}

describe('intFlag', () => {
  it('reads an integer within the bounds, bounds included', () => {
    expect(intFlag({ batch: '1' }, 'batch', { min: 1, max: 256 })).toBe(1);
    expect(intFlag({ batch: '256' }, 'batch', { min: 1, max: 256, default: 16 })).toBe(256);
    expect(intFlag({ frame: '+3' }, 'frame', { min: 0 })).toBe(3);
  });

  it('gives the default, or undefined without one, when the flag is absent', () => {
    const values: { batch?: string } = {};
    expect(intFlag(values, 'batch', { min: 1, max: 256, default: 16 })).toBe(16);
    expect(intFlag(values, 'batch', { min: 1, max: 256 })).toBeUndefined();
  });

  it('refuses values out of bounds or not integers, naming the flag, the range and the value', () => {
    const batch = (raw: string) => () => intFlag({ batch: raw }, 'batch', { min: 1, max: 256, default: 16 });
    expect(refusal(batch('0'))).toBe('--batch must be an integer from 1 to 256, not "0"');
    expect(refusal(batch('257'))).toBe('--batch must be an integer from 1 to 256, not "257"');
    for (const raw of ['', ' ', 'x', '1.5', '1e2', '0x10', ' 8', '99999999999999999999'])
      expect(refusal(batch(raw))).toBe(`--batch must be an integer from 1 to 256, not "${raw}"`);
    expect(refusal(() => intFlag({ 'timeout-ms': '0' }, 'timeout-ms', { min: 1 }))).toBe(
      '--timeout-ms must be an integer ≥ 1, not "0"',
    );
  });
});

describe('intListFlag', () => {
  it('reads comma-separated integers, each within the bounds', () => {
    expect(intListFlag({ batches: '1, 16,32' }, 'batches', { min: 1, max: 256 })).toEqual([1, 16, 32]);
    const absent: { batches?: string } = {};
    expect(intListFlag(absent, 'batches', { min: 1, max: 256 })).toBeUndefined();
    expect(refusal(() => intListFlag({ batches: '1,0' }, 'batches', { min: 1, max: 256 }))).toBe(
      '--batches must be an integer from 1 to 256, not "0"',
    );
  });
});

describe('numberFlag', () => {
  it('reads a finite number within the bounds, else the default', () => {
    expect(numberFlag({ lr: '1e-3' }, 'lr', { min: 1e-7, max: 1, default: 0.01 })).toBe(0.001);
    expect(numberFlag({ lr: undefined }, 'lr', { min: 1e-7, max: 1, default: 0.01 })).toBe(0.01);
    for (const raw of ['0', '2', '', 'NaN', 'Infinity'])
      expect(refusal(() => numberFlag({ lr: raw }, 'lr', { min: 1e-7, max: 1, default: 0.01 }))).toBe(
        `--lr must be a number from 1e-7 to 1, not "${raw}"`,
      );
  });
});

describe('enumFlag', () => {
  const AGGREGATIONS = ['max', 'mean', 'top3-mean'] as const;

  it('reads one of the choices, else the default, else undefined', () => {
    expect(enumFlag({ aggregation: 'mean' }, 'aggregation', AGGREGATIONS)).toBe('mean');
    expect(enumFlag({ aggregation: undefined }, 'aggregation', AGGREGATIONS)).toBeUndefined();
    expect(enumFlag({ context: undefined }, 'context', ['1', '3'], { default: '1' })).toBe('1');
  });

  it('refuses anything else, listing the choices', () => {
    expect(refusal(() => enumFlag({ aggregation: 'median' }, 'aggregation', AGGREGATIONS))).toBe(
      '--aggregation must be one of max, mean, top3-mean, not "median"',
    );
    expect(refusal(() => enumFlag({ context: '2' }, 'context', ['1', '3'], { default: '1' }))).toBe(
      '--context must be 1 or 3, not "2"',
    );
    // Exact matches only.
    expect(refusal(() => enumFlag({ context: ' 3' }, 'context', ['1', '3']))).toMatch(/not " 3"/);
  });

  it('reads comma-separated lists of choices', () => {
    expect(enumListFlag({ engines: 'onnx, tfjs-wasm' }, 'engines', ['onnx', 'tfjs-wasm', 'tfjs-node'])).toEqual([
      'onnx',
      'tfjs-wasm',
    ]);
    expect(refusal(() => enumListFlag({ engines: 'onnx,cuda' }, 'engines', ['onnx', 'tfjs-wasm', 'tfjs-node']))).toBe(
      '--engines must be one of onnx, tfjs-wasm, tfjs-node, not "cuda"',
    );
  });
});

describe('modelRunFlags (--model/--engine/--batch of predict, evaluate, submission)', () => {
  it('defaults to batch 16 and the engine from ICH_ENGINE, else auto', () => {
    const saved = process.env.ICH_ENGINE;
    try {
      delete process.env.ICH_ENGINE;
      expect(modelRunFlags({})).toEqual({ engine: 'auto', batchSize: 16 });
      process.env.ICH_ENGINE = 'tfjs';
      expect(modelRunFlags({})).toEqual({ engine: 'tfjs', batchSize: 16 });
      expect(modelRunFlags({ engine: 'onnx', batch: '4' })).toEqual({ engine: 'onnx', batchSize: 4 });
    } finally {
      if (saved === undefined) delete process.env.ICH_ENGINE;
      else process.env.ICH_ENGINE = saved;
    }
  });

  it('refuses an unknown engine and a batch outside 1 to 256', () => {
    expect(refusal(() => modelRunFlags({ engine: 'cuda' }))).toMatch(/^--engine: unknown engine "cuda"/);
    expect(refusal(() => modelRunFlags({ engine: 'onnx', batch: '512' }))).toBe(
      '--batch must be an integer from 1 to 256, not "512"',
    );
    expect(MODEL_RUN_USAGE).toBe(
      '[--model <dir>] [--engine auto|onnx|tfjs|tfjs-node-gpu|tfjs-node|tfjs-wasm|onnx-int8] [--batch N]',
    );
  });
});
