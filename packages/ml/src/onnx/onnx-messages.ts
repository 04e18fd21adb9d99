import { ProtoWriter } from './protobuf-writer.js';

/**
 * The few ONNX messages an exported classifier needs, encoded with the field numbers of onnx/onnx.proto
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto, OperatorSetIdProto).
 */
export type AttributeValue = number | number[] | string | { float: number };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** Initializer data; the typed array's class picks the ONNX element type (float, int8, uint8, int32, int64). */
export type OnnxTensorData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

export interface OnnxTensor {
  readonly name: string;
  /** [] for a scalar (QuantizeLinear's per-tensor scale and zero point). */
  readonly dims: readonly number[];
  /** float32 weights, int8/uint8/int32 (quantization), or int64 shapes/indices (the preprocessing prologue). */
  readonly data: OnnxTensorData;
}

/** The element types a graph input or output may have here. */
export type OnnxElementType = 'float' | 'int16';

export interface OnnxValueInfo {
  readonly name: string;
  /**
   * A number is a fixed size; a string names a symbolic dimension (e.g. the batch "N"). Absent: unknown rank
   * (calibration's extra outputs, whose shapes onnxruntime infers).
   */
  readonly shape?: readonly (number | string)[];
  /** Default 'float'. */
  readonly elementType?: OnnxElementType;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly graph: OnnxGraph;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** TensorProto.DataType codes. */
export const ONNX_DATA_TYPE = { float: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7 } as const;
function elementType(data: OnnxTensorData): number {
  if (data instanceof Float32Array) return ONNX_DATA_TYPE.float;
  if (data instanceof Uint8Array) return ONNX_DATA_TYPE.uint8;
  if (data instanceof Int8Array) return ONNX_DATA_TYPE.int8;
  if (data instanceof BigInt64Array) return ONNX_DATA_TYPE.int64;
  return ONNX_DATA_TYPE.int32;
}
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;
/** IR version 8 (ONNX 1.10+): every onnxruntime from 1.10 on reads it. */
const IR_VERSION = 8;

export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, IR_VERSION);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, encodeGraph(model.graph));
  w.message(8, new ProtoWriter().string(1, '').varint(2, model.opsetVersion));
  for (const [key, value] of Object.entries(model.metadata ?? {}))
    w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w.finish();
}

function encodeGraph(graph: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, encodeNode(node));
  w.string(2, graph.name);
  for (const t of graph.initializers) w.message(5, encodeTensor(t));
  for (const v of graph.inputs) w.message(11, encodeValueInfo(v));
  for (const v of graph.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  return w;
}

function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ints only; use {float} for floats`);
    w.varint(3, value).varint(20, ATTR.INT);
  } else if (typeof value === 'string') {
    w.string(4, value).varint(20, ATTR.STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.varint(8, v);
    w.varint(20, ATTR.INTS);
  } else {
    w.float(2, value.float).varint(20, ATTR.FLOAT);
  }
  return w;
}

function encodeTensor(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, elementType(t.data));
  w.string(8, t.name);
  // raw_data is little-endian (IEEE 754 for floats), the in-memory layout of typed arrays on every platform we run on.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter().varint(1, ONNX_DATA_TYPE[v.elementType ?? 'float']);
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape)
      shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
    tensorType.message(2, shape);
  }
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}
