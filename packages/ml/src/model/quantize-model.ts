import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AppError } from '@ich/errors';
import { primarySeries } from '../inference/infer-study.js';
import { layersModelToOnnxGraph, ONNX_INPUT_NAME, ONNX_OPSET } from '../onnx/export-layers-model.js';
import { encodeModel, type OnnxGraph } from '../onnx/onnx-messages.js';
import {
  type ActivationType,
  poolAfterPointwiseConv,
  quantizedValues,
  quantizeGraph,
  type ValueRange,
} from '../onnx/quantize-graph.js';
import { loadStudies } from '../pipeline/load-studies.js';
import { buildBatch, type HuSlice } from '../tensor/build-batch.js';
import { cardChannels, type Int8Record, type ModelCard } from './card.js';
import { CARD_FILE, ONNX_INT8_FILE, readModelCard, writeAtomic } from './model-dir.js';
import { loadLayersModelFromDir } from './tfjs-files.js';

export type CalibrationMethod = 'minmax' | 'percentile';
const PERCENTILE = 99.999;

export interface QuantizeModelOptions {
  /** Folders or files of calibration DICOM studies (e.g. `ich-ml synth` output), preprocessed as inference does. */
  readonly calibration: readonly string[];
  /** At most this many slices (spread evenly over the calibration studies). Default 64. */
  readonly maxImages?: number;
  readonly activations?: ActivationType;
  readonly threads?: number;
  /** "minmax" (default) or "percentile": each tail clipped at `percentile` % of the calibration values. */
  readonly method?: CalibrationMethod;
  /** For "percentile"; default 99.999. */
  readonly percentile?: number;
  readonly onProgress?: (done: number, total: number, pass: string) => void;
}

/**
 * Writes model.int8.onnx into a model directory and records it on the card. Calibration ("minmax"): the FP32 graph
 * is run by onnxruntime with every to-be-quantized activation as an extra output, over the calibration slices
 * preprocessed exactly as inference preprocesses them (the card's windows, size and context); each activation's
 * range is the smallest and largest value seen over all of them. Min/max keeps every calibration value
 * representable (no clipping); on the ReLU outputs of a BN-folded network the ranges are one-sided and tight.
 * "percentile" (a second pass) clips each tail at the given percentile of the values instead, trading rare
 * outliers for a finer step everywhere else.
 */
export async function quantizeModelDir(
  dir: string,
  options: QuantizeModelOptions,
): Promise<{ card: ModelCard; file: string; bytes: number; ranges: number }> {
  const card = await readModelCard(dir);
  const model = await loadLayersModelFromDir(dir);
  let graph: OnnxGraph;
  try {
    graph = poolAfterPointwiseConv(layersModelToOnnxGraph(model));
  } finally {
    model.dispose();
  }
  const { studies, rejected } = await loadStudies(options.calibration);
  if (studies.length === 0)
    throw new AppError(
      'BAD_USER_INPUT',
      `int8: no calibration studies in ${options.calibration.join(', ')}${rejected[0] ? ` (${rejected[0].error.message})` : ''}`,
    );
  const slices = pickSlices(
    studies.map((s) => primarySeries(s).slices),
    options.maxImages ?? 64,
  );
  const activations = options.activations ?? 'uint8';
  const ranges = await calibrate(graph, card, slices, options);
  const quantized = quantizeGraph(graph, ranges, { activations });
  const bytes = encodeModel({
    graph: quantized,
    opsetVersion: ONNX_OPSET,
    producerName: '@ich/ml',
    producerVersion: '1',
    docString: `${card.name} ${card.version} INT8 QDQ`,
    metadata: { name: card.name, version: card.version, quantization: 'qdq-int8' },
  });
  const file = join(dir, ONNX_INT8_FILE);
  await writeAtomic(file, bytes);
  const int8: Int8Record = {
    format: 'onnx-qdq',
    activations: `${activations} per-tensor asymmetric`,
    weights: 'int8 per-channel symmetric',
    method: options.method === 'percentile' ? `percentile ${options.percentile ?? PERCENTILE}` : 'minmax',
    calibration: {
      source: options.calibration.map((p) => basename(resolve(p))).join(', '),
      studies: studies.length,
      images: slices.length,
    },
    weightsHash: card.weightsHash,
    createdAt: new Date().toISOString(),
  };
  // Re-read the card: another command may have exported model.onnx meanwhile; only the int8 fields change.
  const current = JSON.parse(await readFile(join(dir, CARD_FILE), 'utf8')) as ModelCard;
  const next: ModelCard = { ...current, files: { ...current.files, onnxInt8: ONNX_INT8_FILE }, int8 };
  await writeAtomic(join(dir, CARD_FILE), `${JSON.stringify(next, null, 2)}\n`);
  return { card: next, file, bytes: bytes.byteLength, ranges: ranges.size };
}

/** Up to `max` slices, the same share from each study, evenly spaced through each series (top to bottom). */
function pickSlices<T>(series: readonly (readonly T[])[], max: number): T[] {
  const total = series.reduce((n, s) => n + s.length, 0);
  if (total <= max) return series.flat();
  const out: T[] = [];
  series.forEach((s, i) => {
    const share = Math.floor(max / series.length) + (i < max % series.length ? 1 : 0);
    for (let k = 0; k < Math.min(share, s.length); k++) out.push(s[Math.floor(((k + 0.5) * s.length) / share)]!);
  });
  return out;
}

async function calibrate(
  graph: OnnxGraph,
  card: ModelCard,
  slices: readonly HuSlice[],
  options: QuantizeModelOptions,
): Promise<Map<string, ValueRange>> {
  const ort = await import('onnxruntime-node');
  const names = quantizedValues(graph);
  const withOutputs: OnnxGraph = {
    ...graph,
    outputs: [...graph.outputs, ...names.map((name) => ({ name }))],
  };
  const bytes = encodeModel({
    graph: withOutputs,
    opsetVersion: ONNX_OPSET,
    producerName: '@ich/ml',
    producerVersion: '1',
  });
  // Basic optimisation only: 'all' could fuse a Conv with its Relu and the pre-Relu value would vanish (ours are
  // requested as outputs, so onnxruntime keeps them either way, but basic needs no such reasoning).
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'basic',
    executionProviders: ['cpu'],
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  });
  const ranges = new Map<string, { min: number; max: number }>(names.map((n) => [n, { min: 0, max: 0 }]));
  const channels = cardChannels(card);
  const batchOptions = {
    size: card.inputSize,
    windows: card.windows,
    context: card.contextSlices === 3,
    ...(card.contextSlices === 3 && card.windows[0] ? { contextWindow: card.windows[0] } : {}),
  };
  // Small batches: every activation of the trunk comes back as an output (~30 MB per 299 px image).
  const per = 4;
  const pass = async (visit: (name: string, data: Float32Array) => void, label: string): Promise<void> => {
    for (let start = 0; start < slices.length; start += per) {
      const n = Math.min(per, slices.length - start);
      const x = buildBatch(slices, start, n, batchOptions);
      const input = new ort.Tensor('float32', x, [n, card.inputSize, card.inputSize, channels]);
      const out = await session.run({ [ONNX_INPUT_NAME]: input }, names);
      for (const name of names) {
        const t = out[name];
        if (!t) throw new AppError('INTERNAL', `int8: calibration output ${name} missing`);
        visit(name, t.data as Float32Array);
        t.dispose();
      }
      options.onProgress?.(start + n, slices.length, label);
    }
  };
  try {
    await pass((name, data) => {
      const r = ranges.get(name)!;
      let lo = r.min;
      let hi = r.max;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < lo) lo = v;
        else if (v > hi) hi = v;
      }
      r.min = lo;
      r.max = hi;
    }, 'min/max');
    if (options.method === 'percentile') {
      // Second pass: a 4096-bin histogram per activation over its min/max, then each tail clipped at the percentile.
      const bins = 4096;
      const hist = new Map(names.map((n) => [n, new Float64Array(bins)]));
      await pass((name, data) => {
        const { min, max } = ranges.get(name)!;
        const h = hist.get(name)!;
        const k = (bins - 1) / Math.max(max - min, 1e-12);
        for (let i = 0; i < data.length; i++) h[Math.floor((data[i]! - min) * k)]! += 1;
      }, 'percentile');
      const p = options.percentile ?? PERCENTILE;
      for (const name of names) {
        const { min, max } = ranges.get(name)!;
        const h = hist.get(name)!;
        const total = h.reduce((a, b) => a + b, 0);
        const tail = (total * (100 - p)) / 100;
        const width = (max - min) / (bins - 1);
        let hiBin = bins - 1;
        for (let acc = 0; hiBin > 0 && acc + h[hiBin]! <= tail; hiBin--) acc += h[hiBin]!;
        let loBin = 0;
        for (let acc = 0; loBin < bins - 1 && acc + h[loBin]! <= tail; loBin++) acc += h[loBin]!;
        // A one-sided (ReLU) range keeps its 0; only a real negative tail is clipped.
        ranges.set(name, {
          min: min < 0 ? Math.min(0, min + loBin * width) : min,
          max: Math.min(max, min + (hiBin + 1) * width),
        });
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}
