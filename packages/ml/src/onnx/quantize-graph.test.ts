import { describe, expect, it } from 'vitest';
import type { OnnxGraph } from './onnx-messages.js';
import {
  activationParams,
  poolAfterPointwiseConv,
  quantizedValues,
  quantizeGraph,
  quantizeWeightsPerChannel,
} from './quantize-graph.js';

describe('INT8 quantization parameters', () => {
  it('a ReLU range [0, max] gets the lowest zero point (so onnxruntime folds the Relu into the Q)', () => {
    expect(activationParams({ min: 0, max: 2.55 }, 'uint8')).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    expect(activationParams({ min: 0, max: 2.55 }, 'int8').zeroPoint).toBe(-128);
  });

  it('a two-sided range keeps 0 exactly representable and covers both ends', () => {
    const { scale, zeroPoint } = activationParams({ min: -1, max: 3 }, 'uint8');
    expect(scale).toBeCloseTo(4 / 255, 7);
    expect((0 - zeroPoint) * scale).toBeCloseTo(-1, 2);
    expect((255 - zeroPoint) * scale).toBeCloseTo(3, 2);
    // A range that never crosses 0 is widened to include it.
    expect(activationParams({ min: 1, max: 2 }, 'uint8').zeroPoint).toBe(0);
  });

  it('weights: one symmetric scale per output channel, error at most half a step', () => {
    const w = Float32Array.from([0.5, -0.25, 0.1, 0, -2, 1, 0.3, 0.7]);
    const { q, scales } = quantizeWeightsPerChannel(w, 2);
    expect(scales[0]).toBeCloseTo(0.5 / 127, 9);
    expect(scales[1]).toBeCloseTo(2 / 127, 9);
    expect(Array.from(q.slice(0, 4))).toEqual([127, -64, 25, 0]);
    expect(q[4]).toBe(-127);
    w.forEach((v, i) => {
      expect(Math.abs(q[i]! * scales[i < 4 ? 0 : 1]! - v)).toBeLessThanOrEqual(scales[i < 4 ? 0 : 1]! / 2 + 1e-9);
    });
  });
});

/** input → Transpose → Conv(3×3) → Relu → {AveragePool → Conv 1×1 → Relu, MaxPool} → Concat → GAP → Gemm. */
function tinyGraph(): OnnxGraph {
  const f = (n: number, v = 0.1): Float32Array => new Float32Array(n).fill(v);
  const conv = (name: string, input: string, k: number) => ({
    opType: 'Conv',
    name,
    inputs: [input, `${name}/W`, `${name}/B`],
    outputs: [`${name}/out`],
    attributes: { kernel_shape: [k, k], strides: [1, 1], pads: k === 1 ? [0, 0, 0, 0] : [1, 1, 1, 1] },
  });
  return {
    name: 'tiny',
    inputs: [{ name: 'input', shape: ['N', 8, 8, 3] }],
    outputs: [{ name: 'probabilities', shape: ['N', 2] }],
    initializers: [
      { name: 'c1/W', dims: [4, 3, 3, 3], data: f(108) },
      { name: 'c1/B', dims: [4], data: f(4) },
      { name: 'c2/W', dims: [5, 4, 1, 1], data: f(20, -0.2) },
      { name: 'c2/B', dims: [5], data: f(5) },
      { name: 'fc/W', dims: [9, 2], data: f(18) },
      { name: 'fc/B', dims: [2], data: f(2) },
    ],
    nodes: [
      { opType: 'Transpose', name: 't', inputs: ['input'], outputs: ['x'], attributes: { perm: [0, 3, 1, 2] } },
      conv('c1', 'x', 3),
      { opType: 'Relu', name: 'r1', inputs: ['c1/out'], outputs: ['a'] },
      {
        opType: 'AveragePool',
        name: 'ap',
        inputs: ['a'],
        outputs: ['p'],
        attributes: { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 },
      },
      conv('c2', 'p', 1),
      { opType: 'Relu', name: 'r2', inputs: ['c2/out'], outputs: ['b'] },
      {
        opType: 'MaxPool',
        name: 'mp',
        inputs: ['a'],
        outputs: ['m'],
        attributes: { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
      },
      { opType: 'Concat', name: 'cat', inputs: ['b', 'm'], outputs: ['c'], attributes: { axis: 1 } },
      { opType: 'GlobalAveragePool', name: 'gap', inputs: ['c'], outputs: ['g4'] },
      { opType: 'Flatten', name: 'fl', inputs: ['g4'], outputs: ['g'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc', inputs: ['g', 'fc/W', 'fc/B'], outputs: ['probabilities'] },
    ],
  };
}

describe('QDQ graph', () => {
  it('swaps AveragePool → 1×1 Conv into Conv → AveragePool, wired to the same consumers', () => {
    const g = poolAfterPointwiseConv(tinyGraph());
    const ops = g.nodes.map((n) => `${n.opType}:${n.inputs[0]}>${n.outputs[0]}`);
    expect(ops).toContain('Conv:a>c2/prepool');
    expect(ops).toContain('AveragePool:c2/prepool>c2/out');
    expect(ops.indexOf('Conv:a>c2/prepool')).toBeLessThan(ops.indexOf('AveragePool:c2/prepool>c2/out'));
    expect(ops).toContain('Relu:c2/out>b');
  });

  it('quantizes the trunk (conv inputs and results, pools, concat) and leaves the head in float', () => {
    const g = poolAfterPointwiseConv(tinyGraph());
    expect(new Set(quantizedValues(g))).toEqual(new Set(['x', 'a', 'c2/prepool', 'b', 'm', 'c']));
    const ranges = new Map(quantizedValues(g).map((v) => [v, { min: v === 'c2/prepool' ? -1 : 0, max: 2 }]));
    const q = quantizeGraph(g, ranges);
    const byOp = (op: string) => q.nodes.filter((n) => n.opType === op);
    expect(byOp('QuantizeLinear')).toHaveLength(6);
    // Weights: int8 per channel (axis 0) and int32 bias; no float conv weights left.
    const dqW = byOp('DequantizeLinear').filter((n) => n.name.endsWith('/W_dq'));
    expect(dqW.map((n) => n.attributes?.axis)).toEqual([0, 0]);
    expect(q.initializers.find((t) => t.name === 'c1/W_q')?.data).toBeInstanceOf(Int8Array);
    expect(q.initializers.find((t) => t.name === 'c1/B_q')?.data).toBeInstanceOf(Int32Array);
    expect(q.initializers.some((t) => t.name === 'c1/W')).toBe(false);
    // MaxPool keeps its input's scale: the same initializers on both sides.
    const mpQ = q.nodes.find((n) => n.opType === 'QuantizeLinear' && n.outputs[0] === 'm/q')!;
    expect(mpQ.inputs.slice(1)).toEqual(['a/q_scale', 'a/q_zp']);
    // Every consumer reads its own DequantizeLinear; the Gemm stays float.
    expect(q.nodes.find((n) => n.opType === 'Gemm')?.inputs[1]).toBe('fc/W');
    expect(q.nodes.find((n) => n.opType === 'GlobalAveragePool')?.inputs[0]).toMatch(/^c\/dq\d+$/);
  });
});
