import { AppError } from '@ich/errors';
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx-messages.js';

/**
 * FP32 graph (as `layersModelToOnnxGraph` writes it) → INT8 QDQ graph: the "quantize-dequantize" form that
 * onnxruntime's graph optimizer turns into integer kernels (QLinearConv, int8 MaxPool, QLinearAveragePool,
 * QLinearConcat) when the session runs with graphOptimizationLevel 'all'.
 *
 * - Activations: one QuantizeLinear after every value the convolutional trunk produces (the input transpose, each
 *   Conv or Conv→Relu, MaxPool, AveragePool, Concat), per-tensor, asymmetric, uint8 by default. onnxruntime's docs
 *   suggest S8S8 in QDQ form, but measured with onnxruntime-node 1.30 on this InceptionV3 (profiled op counts), S8
 *   activations left 50 of the 94 convolutions and most Concat nodes in float, while U8 activations with S8
 *   weights (the u8×s8 VNNI instruction's own form) fused all 94 into QLinearConv and ran 2× faster than S8
 *   (299 px, batch 4, alternating runs: ~0.87 vs ~1.74 s per batch on 2 busy cores).
 *   A ReLU output's range starts at 0, so its zero point is the type's lowest value and onnxruntime folds the
 *   Relu into the QuantizeLinear.
 * - One DequantizeLinear per consumer, so every consumer is its own QDQ "node unit" for the fusions.
 * - Weights: int8, symmetric, one scale per output channel (DequantizeLinear axis 0 of the OIHW kernel); bias int32
 *   with scale input-scale × weight-scale, which is what QLinearConv adds to its int32 accumulator.
 * - MaxPool keeps its input's scale and zero point (same initializers), so onnxruntime can drop its Q/DQ pair and
 *   run MaxPool on int8 directly.
 * - The head (GlobalAveragePool, Gemm, Sigmoid) stays float: it is < 0.1 % of the FLOPs and the probabilities are
 *   what the triage thresholds compare.
 */
export type ActivationType = 'int8' | 'uint8';

export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

const POOLS = new Set(['MaxPool', 'AveragePool', 'Concat']);

/**
 * Inception's pooling branch is AveragePool(3×3, stride 1) → 1×1 Conv → Relu. Both are linear and the pool
 * averages in-image pixels only, so pool(conv(x) + b) = conv(pool(x)) + b exactly (an average of a constant is
 * the constant, padding excluded): this swaps them, Conv → AveragePool → Relu. The pool then averages the conv's
 * 32-192 output channels instead of its 192-2048 input channels; onnxruntime's QLinearAveragePool is a plain loop
 * (a quarter of the INT8 run time when it pooled the wide inputs). Used on the FP32 graph before calibration, so
 * calibration measures the values the INT8 graph quantizes.
 */
export function poolAfterPointwiseConv(graph: OnnxGraph): OnnxGraph {
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.nodes) for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  const replaced = new Map<OnnxNode, OnnxNode[]>();
  const dropped = new Set<OnnxNode>();
  for (const pool of graph.nodes) {
    if (pool.opType !== 'AveragePool') continue;
    const [conv, ...others] = consumers.get(pool.outputs[0]!) ?? [];
    const a = conv?.attributes ?? {};
    const ones = (v: unknown): boolean => Array.isArray(v) && v.every((x) => x === 1);
    const zeros = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every((x) => x === 0));
    const strides = pool.attributes?.strides;
    if (!conv || others.length > 0 || conv.opType !== 'Conv') continue;
    if (!ones(a.kernel_shape) || !ones(a.strides ?? [1]) || !zeros(a.pads) || !ones(strides)) continue;
    const prepool = `${conv.name}/prepool`;
    dropped.add(pool);
    replaced.set(conv, [
      { ...conv, inputs: [pool.inputs[0]!, ...conv.inputs.slice(1)], outputs: [prepool] },
      { ...pool, inputs: [prepool], outputs: [conv.outputs[0]!] },
    ]);
  }
  const nodes = graph.nodes.flatMap((n) => (dropped.has(n) ? [] : (replaced.get(n) ?? [n])));
  return { ...graph, nodes };
}

/** The float values whose ranges calibration must measure (the FP32 graph's value names). */
export function quantizedValues(graph: OnnxGraph): string[] {
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.nodes) {
    for (const o of node.outputs) producer.set(o, node);
    for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  }
  const q = new Set<string>();
  /** The value a node's result is stored under: its Relu's output when a lone Relu follows it. */
  const result = (node: OnnxNode): string => {
    const out = node.outputs[0]!;
    const next = consumers.get(out) ?? [];
    return next.length === 1 && next[0]!.opType === 'Relu' ? next[0]!.outputs[0]! : out;
  };
  const trunk = (value: string): boolean => {
    const p = producer.get(value);
    if (!p) return false;
    if (p.opType === 'Transpose' || p.opType === 'Conv' || POOLS.has(p.opType)) return true;
    if (p.opType === 'Relu') return trunk(p.inputs[0]!);
    return false;
  };
  for (const node of graph.nodes) {
    if (node.opType === 'Conv') {
      q.add(node.inputs[0]!);
      q.add(result(node));
    } else if (POOLS.has(node.opType) && node.inputs.every(trunk)) {
      for (const i of node.inputs) q.add(i);
      q.add(result(node));
    }
  }
  for (const v of q) if (!trunk(v)) throw new AppError('BAD_MODEL', `int8: cannot quantize value "${v}"`);
  return [...q];
}

/** Per-tensor affine parameters for a measured range; the range always includes 0 (zero must be exact). */
export function activationParams(range: ValueRange, type: ActivationType): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = type === 'int8' ? [-128, 127] : [0, 255];
  const rmin = Math.min(0, range.min);
  let rmax = Math.max(0, range.max);
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax))
    throw new AppError('BAD_MODEL', `int8: non-finite calibration range [${range.min}, ${range.max}]`);
  if (rmax - rmin < 1e-8) rmax = rmin + 1e-8;
  const scale = Math.fround((rmax - rmin) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, Math.round(qmin - rmin / scale)));
  return { scale, zeroPoint };
}

/** Symmetric per-output-channel int8 weights (−127…127, zero point 0) of an OIHW kernel. */
export function quantizeWeightsPerChannel(weights: Float32Array, cout: number): { q: Int8Array; scales: Float32Array } {
  const per = weights.length / cout;
  const q = new Int8Array(weights.length);
  const scales = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let m = 0;
    for (let k = o * per; k < (o + 1) * per; k++) m = Math.max(m, Math.abs(weights[k]!));
    const s = m > 0 ? m / 127 : 1;
    scales[o] = s;
    const sf = scales[o]!;
    for (let k = o * per; k < (o + 1) * per; k++) q[k] = Math.max(-127, Math.min(127, Math.round(weights[k]! / sf)));
  }
  return { q, scales };
}

export function quantizeGraph(
  graph: OnnxGraph,
  ranges: ReadonlyMap<string, ValueRange>,
  options: { activations?: ActivationType } = {},
): OnnxGraph {
  const type = options.activations ?? 'uint8';
  const zpArray = (v: number): Int8Array | Uint8Array => (type === 'int8' ? Int8Array.of(v) : Uint8Array.of(v));
  const values = new Set(quantizedValues(graph));
  const producer = new Map<string, OnnxNode>();
  for (const node of graph.nodes) for (const o of node.outputs) producer.set(o, node);
  const float = new Map(graph.initializers.map((t) => [t.name, t]));
  const initializers: OnnxTensor[] = [];
  const used = new Set<string>();
  const nodes: OnnxNode[] = [];

  /** Which value's scale/zero-point initializers a value uses (MaxPool outputs share their input's). */
  const paramsOwner = (v: string): string => {
    const p = producer.get(v);
    return p?.opType === 'MaxPool' && values.has(p.inputs[0]!) ? paramsOwner(p.inputs[0]!) : v;
  };
  const scaleOf = new Map<string, number>();
  const params = (v: string): { scale: string; zp: string } => {
    const owner = paramsOwner(v);
    const names = { scale: `${owner}/q_scale`, zp: `${owner}/q_zp` };
    if (!scaleOf.has(owner)) {
      const range = ranges.get(owner);
      if (!range) throw new AppError('BAD_MODEL', `int8: no calibration range for "${owner}"`);
      const { scale, zeroPoint } = activationParams(range, type);
      scaleOf.set(owner, scale);
      initializers.push(
        { name: names.scale, dims: [], data: Float32Array.of(scale) },
        { name: names.zp, dims: [], data: zpArray(zeroPoint) },
      );
    }
    return names;
  };
  let dqCount = 0;
  const dequantized = (v: string): string => {
    const { scale, zp } = params(v);
    const out = `${v}/dq${dqCount++}`;
    nodes.push({ opType: 'DequantizeLinear', name: out, inputs: [`${v}/q`, scale, zp], outputs: [out] });
    return out;
  };

  for (const node of graph.nodes) {
    let inputs = node.inputs.map((i) => (values.has(i) ? dequantized(i) : i));
    if (node.opType === 'Conv') {
      const inputScale = scaleOf.get(paramsOwner(node.inputs[0]!));
      if (inputScale === undefined) throw new AppError('BAD_MODEL', `int8: Conv ${node.name} input is not quantized`);
      const conv = quantizedConvWeights(node, inputScale, float, initializers, used);
      nodes.push(...conv.nodes);
      inputs = [inputs[0]!, ...conv.inputs];
    }
    const outputs = node.outputs.map((o) => (values.has(o) ? `${o}/f` : o));
    nodes.push({ ...node, inputs, outputs });
    for (const o of node.outputs) {
      if (!values.has(o)) continue;
      const { scale, zp } = params(o);
      nodes.push({
        opType: 'QuantizeLinear',
        name: `${o}/quantize`,
        inputs: [`${o}/f`, scale, zp],
        outputs: [`${o}/q`],
      });
    }
  }
  for (const t of graph.initializers) if (!used.has(t.name)) initializers.push(t);
  return { ...graph, nodes, initializers };
}

/** A Conv's float weight and bias → DQ(int8 W, per channel) and DQ(int32 B), adding their initializers. */
function quantizedConvWeights(
  node: OnnxNode,
  inputScale: number,
  float: ReadonlyMap<string, OnnxTensor>,
  initializers: OnnxTensor[],
  used: Set<string>,
): { nodes: OnnxNode[]; inputs: string[] } {
  const [, wName, bName] = node.inputs;
  const w = float.get(wName ?? '');
  if (!w || !(w.data instanceof Float32Array))
    throw new AppError('BAD_MODEL', `int8: Conv ${node.name} has no weights`);
  const cout = w.dims[0]!;
  const { q, scales } = quantizeWeightsPerChannel(w.data, cout);
  used.add(w.name);
  const p = node.name;
  initializers.push(
    { name: `${p}/W_q`, dims: w.dims, data: q },
    { name: `${p}/W_scale`, dims: [cout], data: scales },
    { name: `${p}/W_zp`, dims: [cout], data: new Int8Array(cout) },
  );
  const dq = (name: string, src: string): OnnxNode => ({
    opType: 'DequantizeLinear',
    name,
    inputs: [src, `${src.slice(0, -2)}_scale`, `${src.slice(0, -2)}_zp`],
    outputs: [name],
    attributes: { axis: 0 },
  });
  const nodes = [dq(`${p}/W_dq`, `${p}/W_q`)];
  const inputs = [`${p}/W_dq`];
  const b = bName ? float.get(bName) : undefined;
  if (b) {
    if (!(b.data instanceof Float32Array)) throw new AppError('BAD_MODEL', `int8: Conv ${node.name} bias is not float`);
    used.add(b.name);
    const bScale = new Float32Array(cout);
    const bq = new Int32Array(cout);
    for (let o = 0; o < cout; o++) {
      bScale[o] = inputScale * scales[o]!;
      bq[o] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b.data[o]! / bScale[o]!)));
    }
    initializers.push(
      { name: `${p}/B_q`, dims: [cout], data: bq },
      { name: `${p}/B_scale`, dims: [cout], data: bScale },
      { name: `${p}/B_zp`, dims: [cout], data: new Int32Array(cout) },
    );
    nodes.push(dq(`${p}/B_dq`, `${p}/B_q`));
    inputs.push(`${p}/B_dq`);
  }
  return { nodes, inputs };
}
