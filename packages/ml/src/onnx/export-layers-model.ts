import { AppError } from '@ich/errors';
import type * as tf from '@tensorflow/tfjs';
import type { HuWindow } from '../window/windows.js';
import { encodeModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-messages.js';
import { PROLOGUE_INPUT_NAME, PROLOGUE_NCHW, prologueNodes } from './preprocess-prologue.js';
import { tfPads } from './tf-padding.js';

/**
 * Converts a tfjs functional LayersModel (the layer types InceptionV3 + the seed's head use) to an ONNX graph:
 * NHWC input transposed once to NCHW, Conv with BatchNormalization folded in, Relu, MaxPool, AveragePool with
 * TF SAME padding and count_include_pad=0 (Keras' AveragePooling2D divides by the in-image pixels only), Concat on
 * channels, GlobalAveragePool → Flatten, Gemm, Sigmoid. Dropout is the identity at inference and is dropped.
 * Engines feed the same NHWC Float32Array to onnxruntime and to tfjs.
 */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'probabilities';
export const ONNX_OPSET = 13;

type Shape = (number | null)[];
interface LayerConfig {
  kernelSize?: number | number[];
  poolSize?: number | number[];
  strides?: number | number[];
  dilationRate?: number | number[];
  padding?: 'same' | 'valid' | 'causal';
  useBias?: boolean;
  activation?: string;
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  dataFormat?: string;
}

export interface OnnxExportOptions {
  readonly docString?: string;
  readonly metadata?: Record<string, string>;
  /**
   * Prepend the preprocessing (`preprocess-prologue.ts`): the model then takes int16 HU [N, H, W] named "hu" and
   * resizes and windows it itself (one channel per window), feeding its NCHW result straight to the first layer.
   */
  readonly prologue?: { readonly windows: readonly HuWindow[] };
}

export function exportLayersModelToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  return encodeModel({
    graph: layersModelToOnnxGraph(model, options.prologue),
    opsetVersion: ONNX_OPSET,
    producerName: '@ich/ml',
    producerVersion: '1',
    ...(options.docString ? { docString: options.docString } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
}

export function layersModelToOnnxGraph(
  model: tf.LayersModel,
  prologue?: { readonly windows: readonly HuWindow[] },
): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  /** tfjs layer name → the ONNX value that carries its output. */
  const outputValueOf = new Map<string, string>();
  const consumers = new Map<string, number>();
  const unsupported = (layer: tf.layers.Layer, why: string): never => {
    throw new AppError('BAD_MODEL', `cannot export layer "${layer.name}" (${layer.getClassName()}) to ONNX: ${why}`);
  };

  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new AppError('BAD_MODEL', 'ONNX export supports one input and one output');
  for (const layer of model.layers)
    for (const src of inboundLayers(layer)) consumers.set(src.name, (consumers.get(src.name) ?? 0) + 1);

  const inputOf = (layer: tf.layers.Layer): string => {
    const [src, ...rest] = inboundLayers(layer);
    if (!src || rest.length > 0) return unsupported(layer, 'expected exactly one input');
    return valueOrThrow(outputValueOf, src.name);
  };
  /** Conv layers whose output feeds only a BatchNormalization get that BN folded into their weights. */
  const foldedInto = new Map<string, tf.layers.Layer>();
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [src] = inboundLayers(layer);
    if (
      src &&
      src.getClassName() === 'Conv2D' &&
      consumers.get(src.name) === 1 &&
      (config(src).activation ?? 'linear') === 'linear'
    )
      foldedInto.set(src.name, layer);
  }

  const inputShape = model.inputs[0]!.shape as Shape;
  if (inputShape.length !== 4) throw new AppError('BAD_MODEL', 'ONNX export expects an NHWC image input');
  const [, h, w, c] = inputShape;
  if (!h || !w || !c)
    throw new AppError('BAD_MODEL', 'ONNX export needs a fixed input height, width and channel count');
  if (prologue && (h !== w || c !== prologue.windows.length))
    throw new AppError('BAD_MODEL', `a preprocessing prologue needs a square input with one channel per window`);

  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = config(layer);
    const name = layer.name;
    if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') unsupported(layer, 'only channelsLast is supported');
    switch (cls) {
      case 'InputLayer': {
        if (prologue) {
          // The prologue already ends in NCHW: no transpose.
          const pre = prologueNodes({ size: h, windows: prologue.windows });
          nodes.push(...pre.nodes);
          initializers.push(...pre.initializers);
          outputValueOf.set(name, PROLOGUE_NCHW);
          break;
        }
        nodes.push({
          opType: 'Transpose',
          name: `${name}/nchw`,
          inputs: [ONNX_INPUT_NAME],
          outputs: [name],
          attributes: { perm: [0, 3, 1, 2] },
        });
        outputValueOf.set(name, name);
        break;
      }
      case 'Conv2D': {
        const [kernel, bias] = layer.getWeights().map((t) => t.dataSync() as Float32Array);
        if (!kernel) return unsupported(layer, 'no kernel');
        const [kh, kw, cin, cout] = layer.getWeights()[0]!.shape as number[] as [number, number, number, number];
        const weights = hwioToOihw(kernel, kh, kw, cin, cout);
        let b: Float32Array = bias ? Float32Array.from(bias) : new Float32Array(cout);
        const bn = foldedInto.get(name);
        if (bn) b = foldBatchNorm(bn, weights, b, cout, kh * kw * cin);
        const [sh, sw] = pair(cfg.strides ?? 1);
        const [dh, dw] = pair(cfg.dilationRate ?? 1);
        const padding = paddingOf(layer, cfg);
        const [inH, inW] = spatial(layer);
        const [pt, pb] = tfPads(padding, inH, kh, sh, dh);
        const [pl, pr] = tfPads(padding, inW, kw, sw, dw);
        initializers.push(
          { name: `${name}/W`, dims: [cout, cin, kh, kw], data: weights },
          { name: `${name}/B`, dims: [cout], data: b },
        );
        const out = bn ? bn.name : name;
        const convOut = cfg.activation && cfg.activation !== 'linear' ? `${out}/pre_act` : out;
        nodes.push({
          opType: 'Conv',
          name,
          inputs: [inputOf(layer), `${name}/W`, `${name}/B`],
          outputs: [convOut],
          attributes: {
            kernel_shape: [kh, kw],
            strides: [sh, sw],
            dilations: [dh, dw],
            pads: [pt, pl, pb, pr],
            group: 1,
          },
        });
        if (convOut !== out) nodes.push(activationNode(layer, cfg.activation ?? 'linear', convOut, out));
        outputValueOf.set(name, out);
        if (bn) outputValueOf.set(bn.name, out);
        break;
      }
      case 'BatchNormalization': {
        if (outputValueOf.has(name)) break; // folded into its convolution
        const axis = Array.isArray(cfg.axis) ? cfg.axis[0] : cfg.axis;
        if (axis !== -1 && axis !== 3) unsupported(layer, 'only channel-axis normalisation is supported');
        const { gamma, beta, mean, variance } = bnWeights(layer);
        initializers.push(
          { name: `${name}/scale`, dims: [gamma.length], data: gamma },
          { name: `${name}/B`, dims: [beta.length], data: beta },
          { name: `${name}/mean`, dims: [mean.length], data: mean },
          { name: `${name}/var`, dims: [variance.length], data: variance },
        );
        nodes.push({
          opType: 'BatchNormalization',
          name,
          inputs: [inputOf(layer), `${name}/scale`, `${name}/B`, `${name}/mean`, `${name}/var`],
          outputs: [name],
          attributes: { epsilon: { float: cfg.epsilon ?? 1e-3 } },
        });
        outputValueOf.set(name, name);
        break;
      }
      case 'Activation': {
        nodes.push(activationNode(layer, cfg.activation ?? 'linear', inputOf(layer), name));
        outputValueOf.set(name, name);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [kh, kw] = pair(cfg.poolSize ?? 2);
        const [sh, sw] = pair(cfg.strides ?? cfg.poolSize ?? 2);
        const padding = paddingOf(layer, cfg);
        const [inH, inW] = spatial(layer);
        const [pt, pb] = tfPads(padding, inH, kh, sh);
        const [pl, pr] = tfPads(padding, inW, kw, sw);
        const attributes: Record<string, number | number[]> = {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [pt, pl, pb, pr],
        };
        if (cls === 'AveragePooling2D') attributes.count_include_pad = 0;
        nodes.push({
          opType: cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          name,
          inputs: [inputOf(layer)],
          outputs: [name],
          attributes,
        });
        outputValueOf.set(name, name);
        break;
      }
      case 'Concatenate': {
        const rank = (Array.isArray(layer.output) ? [] : layer.output.shape).length;
        const axis = typeof cfg.axis === 'number' ? cfg.axis : -1;
        if (rank !== 4 || (axis !== -1 && axis !== 3))
          unsupported(layer, 'only channel concatenation of images is supported');
        const inputs = inboundLayers(layer).map((src) => valueOrThrow(outputValueOf, src.name));
        nodes.push({ opType: 'Concat', name, inputs, outputs: [name], attributes: { axis: 1 } });
        outputValueOf.set(name, name);
        break;
      }
      case 'GlobalAveragePooling2D': {
        nodes.push({ opType: 'GlobalAveragePool', name, inputs: [inputOf(layer)], outputs: [`${name}/nc11`] });
        nodes.push({
          opType: 'Flatten',
          name: `${name}/flatten`,
          inputs: [`${name}/nc11`],
          outputs: [name],
          attributes: { axis: 1 },
        });
        outputValueOf.set(name, name);
        break;
      }
      case 'Dropout': {
        outputValueOf.set(name, inputOf(layer));
        break;
      }
      case 'Dense': {
        const weights = layer.getWeights();
        const kernel = weights[0];
        if (kernel?.shape.length !== 2) return unsupported(layer, 'expected a 2-D kernel');
        const [units_in, units] = kernel.shape as [number, number];
        const bias = weights[1] ? Float32Array.from(weights[1].dataSync() as Float32Array) : new Float32Array(units);
        initializers.push(
          { name: `${name}/W`, dims: [units_in, units], data: Float32Array.from(kernel.dataSync() as Float32Array) },
          { name: `${name}/B`, dims: [units], data: bias },
        );
        const activation = cfg.activation ?? 'linear';
        const gemmOut = activation === 'linear' ? name : `${name}/pre_act`;
        nodes.push({ opType: 'Gemm', name, inputs: [inputOf(layer), `${name}/W`, `${name}/B`], outputs: [gemmOut] });
        if (gemmOut !== name) nodes.push(activationNode(layer, activation, gemmOut, name));
        outputValueOf.set(name, name);
        break;
      }
      default:
        unsupported(layer, 'layer type not supported by the exporter');
    }
  }

  const last = model.outputs[0]!.sourceLayer;
  const outputShape = model.outputs[0]!.shape as Shape;
  // Name the graph output by renaming the last node's output: one fewer Identity node in the hot path.
  const finalValue = valueOrThrow(outputValueOf, last.name);
  for (const node of nodes) {
    const outputs = node.outputs as string[];
    for (let i = 0; i < outputs.length; i++) if (outputs[i] === finalValue) outputs[i] = ONNX_OUTPUT_NAME;
  }
  for (const node of nodes) {
    const inputs = node.inputs as string[];
    for (let i = 0; i < inputs.length; i++) if (inputs[i] === finalValue) inputs[i] = ONNX_OUTPUT_NAME;
  }
  return {
    name: model.name,
    nodes,
    initializers,
    inputs: prologue
      ? [{ name: PROLOGUE_INPUT_NAME, shape: ['N', 'H', 'W'], elementType: 'int16' }]
      : [{ name: ONNX_INPUT_NAME, shape: ['N', h, w, c] }],
    outputs: [{ name: ONNX_OUTPUT_NAME, shape: ['N', ...outputShape.slice(1).map((d) => d ?? 'D')] }],
  };
}

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const node = layer.inboundNodes[0];
  return node ? node.inboundLayers : [];
}

function config(layer: tf.layers.Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

function valueOrThrow(map: Map<string, string>, key: string): string {
  const v = map.get(key);
  if (v === undefined) throw new AppError('BAD_MODEL', `layer "${key}" is used before it is defined`);
  return v;
}

function pair(v: number | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!];
}

function paddingOf(layer: tf.layers.Layer, cfg: LayerConfig): 'same' | 'valid' {
  const p = cfg.padding ?? 'valid';
  if (p !== 'same' && p !== 'valid')
    throw new AppError('BAD_MODEL', `cannot export layer "${layer.name}": padding "${p}"`);
  return p;
}

function spatial(layer: tf.layers.Layer): [number, number] {
  const input = layer.input;
  const shape = (Array.isArray(input) ? input[0]?.shape : input.shape) ?? [];
  const [, h, w] = shape;
  if (!h || !w) throw new AppError('BAD_MODEL', `cannot export layer "${layer.name}": unknown spatial size`);
  return [h, w];
}

function activationNode(layer: tf.layers.Layer, activation: string, input: string, output: string): OnnxNode {
  const op = { relu: 'Relu', sigmoid: 'Sigmoid', linear: 'Identity', tanh: 'Tanh' }[activation];
  if (!op) throw new AppError('BAD_MODEL', `cannot export layer "${layer.name}": activation "${activation}"`);
  return { opType: op, name: `${layer.name}/${activation}`, inputs: [input], outputs: [output] };
}

/** Keras HWIO kernel → ONNX OIHW. */
function hwioToOihw(k: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[src + o]!;
      }
  return out;
}

function bnWeights(layer: tf.layers.Layer): {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
} {
  const byRole = new Map<string, Float32Array>();
  layer.weights.forEach((v, i) => {
    byRole.set(
      v.originalName.slice(v.originalName.lastIndexOf('/') + 1),
      layer.getWeights()[i]!.dataSync() as Float32Array,
    );
  });
  const mean = byRole.get('moving_mean');
  const variance = byRole.get('moving_variance');
  if (!mean || !variance)
    throw new AppError('BAD_MODEL', `BatchNormalization "${layer.name}" has no moving statistics`);
  return {
    mean: Float32Array.from(mean),
    variance: Float32Array.from(variance),
    gamma: byRole.has('gamma') ? Float32Array.from(byRole.get('gamma')!) : new Float32Array(mean.length).fill(1),
    beta: byRole.has('beta') ? Float32Array.from(byRole.get('beta')!) : new Float32Array(mean.length),
  };
}

/** Scales OIHW weights in place by gamma/sqrt(var+eps) per output channel and returns the folded bias. */
function foldBatchNorm(
  bn: tf.layers.Layer,
  weights: Float32Array,
  bias: Float32Array,
  cout: number,
  perOutput: number,
): Float32Array {
  const { gamma, beta, mean, variance } = bnWeights(bn);
  const eps = config(bn).epsilon ?? 1e-3;
  const folded = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    // Double precision for the fold; the rounding to float32 happens once.
    const s = gamma[o]! / Math.sqrt(variance[o]! + eps);
    for (let k = o * perOutput; k < (o + 1) * perOutput; k++) weights[k] = weights[k]! * s;
    folded[o] = (bias[o]! - mean[o]!) * s + beta[o]!;
  }
  return folded;
}
