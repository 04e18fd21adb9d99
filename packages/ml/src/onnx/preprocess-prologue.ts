import { AppError } from '@ich/errors';
import type { HuWindow } from '../window/windows.js';
import { encodeModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-messages.js';

/**
 * The preprocessing as ONNX operations, so that a GPU engine does it on the GPU: HU as int16 [N, H, W] (any H, W)
 * → float → bilinear Resize to size × size with TensorFlow's default sampling (`asymmetric` coordinates = align
 * corners false, half-pixel centres false; the far neighbour clamped at the edge) → one channel per window,
 * (HU − (centre − width/2)) / width clipped to [0, 1]. The same order and semantics as `resizeWindowInto`.
 *
 * `prologueNodes` gives the nodes and initializers ending in an NCHW float tensor, for the exporter to prepend to
 * a classifier (`exportLayersModelToOnnx(model, { prologue })`); `exportPrologueToOnnx` writes it alone with an NHWC
 * output named like the classifier's input, for engines that chain two sessions.
 */
export const PROLOGUE_INPUT_NAME = 'hu';
/** The prologue's NCHW result inside a combined graph. */
export const PROLOGUE_NCHW = 'prologue/windows';

export interface PrologueOptions {
  /** Model input height and width (square). */
  readonly size: number;
  /** One output channel per window, in order. */
  readonly windows: readonly HuWindow[];
}

export function prologueNodes(options: PrologueOptions): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const { size, windows } = options;
  if (!Number.isInteger(size) || size < 1) throw new AppError('BAD_MODEL', `prologue size ${size}`);
  if (windows.length === 0 || windows.some((w) => !(w.width > 0)))
    throw new AppError('BAD_MODEL', 'the prologue needs windows with positive widths');
  const c = windows.length;
  const p = 'prologue';
  const initializers: OnnxTensor[] = [
    { name: `${p}/axis1`, dims: [1], data: BigInt64Array.from([1n]) },
    { name: `${p}/zero`, dims: [1], data: BigInt64Array.from([0n]) },
    { name: `${p}/two`, dims: [1], data: BigInt64Array.from([2n]) },
    { name: `${p}/hw`, dims: [2], data: BigInt64Array.from([BigInt(size), BigInt(size)]) },
    // Sub then Mul with float32 constants: the CPU path subtracts the low edge and multiplies by 1/width too.
    { name: `${p}/low`, dims: [1, c, 1, 1], data: Float32Array.from(windows, (w) => w.center - w.width / 2) },
    { name: `${p}/scale`, dims: [1, c, 1, 1], data: Float32Array.from(windows, (w) => 1 / w.width) },
    { name: `${p}/min`, dims: [], data: Float32Array.of(0) },
    { name: `${p}/max`, dims: [], data: Float32Array.of(1) },
  ];
  const nodes: OnnxNode[] = [
    { opType: 'Cast', name: `${p}/cast`, inputs: [PROLOGUE_INPUT_NAME], outputs: [`${p}/f`], attributes: { to: 1 } },
    { opType: 'Unsqueeze', name: `${p}/n1hw`, inputs: [`${p}/f`, `${p}/axis1`], outputs: [`${p}/n1hw`] },
    // Output sizes [N, 1, size, size] from the input's batch dimension, so any batch size runs.
    { opType: 'Shape', name: `${p}/shape`, inputs: [`${p}/n1hw`], outputs: [`${p}/shape`] },
    {
      opType: 'Slice',
      name: `${p}/n1`,
      inputs: [`${p}/shape`, `${p}/zero`, `${p}/two`],
      outputs: [`${p}/n1`],
    },
    {
      opType: 'Concat',
      name: `${p}/sizes`,
      inputs: [`${p}/n1`, `${p}/hw`],
      outputs: [`${p}/sizes`],
      attributes: { axis: 0 },
    },
    {
      opType: 'Resize',
      name: `${p}/resize`,
      inputs: [`${p}/n1hw`, '', '', `${p}/sizes`],
      outputs: [`${p}/resized`],
      attributes: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
    },
    { opType: 'Sub', name: `${p}/sub`, inputs: [`${p}/resized`, `${p}/low`], outputs: [`${p}/shifted`] },
    { opType: 'Mul', name: `${p}/mul`, inputs: [`${p}/shifted`, `${p}/scale`], outputs: [`${p}/scaled`] },
    {
      opType: 'Clip',
      name: `${p}/clip`,
      inputs: [`${p}/scaled`, `${p}/min`, `${p}/max`],
      outputs: [PROLOGUE_NCHW],
    },
  ];
  return { nodes, initializers };
}

/** The prologue alone: int16 HU [N, H, W] → float32 NHWC [N, size, size, windows] named `outputName`. */
export function prologueOnnxGraph(options: PrologueOptions, outputName = 'input'): OnnxGraph {
  const { nodes, initializers } = prologueNodes(options);
  nodes.push({
    opType: 'Transpose',
    name: 'prologue/nhwc',
    inputs: [PROLOGUE_NCHW],
    outputs: [outputName],
    attributes: { perm: [0, 2, 3, 1] },
  });
  return {
    name: 'ich-preprocess',
    nodes,
    initializers,
    inputs: [{ name: PROLOGUE_INPUT_NAME, shape: ['N', 'H', 'W'], elementType: 'int16' }],
    outputs: [{ name: outputName, shape: ['N', options.size, options.size, options.windows.length] }],
  };
}

export function exportPrologueToOnnx(options: PrologueOptions, outputName = 'input'): Uint8Array {
  return encodeModel({
    graph: prologueOnnxGraph(options, outputName),
    opsetVersion: 13,
    producerName: '@ich/ml',
    producerVersion: '1',
    docString: `CT preprocessing: int16 HU → bilinear ${options.size}² → ${options.windows.map((w) => `${w.center}/${w.width}`).join(', ')}`,
  });
}
