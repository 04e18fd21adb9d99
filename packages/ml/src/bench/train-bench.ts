import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { intFlag } from '../cli/flags.js';
import { LABELS } from '../labels.js';
import { buildClassifier } from '../model/classifier.js';
import { DEFAULT_MODEL_CONFIG } from '../model/config.js';
import { selectTrainingBackend } from '../train/backend.js';
import { TorchProcess, torchAvailability } from '../train/torch-trainer.js';
import { weightedBinaryCrossEntropy } from '../train/train.js';
import { referencePython } from './model-reference.js';

/**
 * `ich-ml bench --train`: images/s of one InceptionV3 training step (forward, weighted log loss, backward, Adam)
 * with tfjs on the fastest training backend present, beside torchvision's inception_v3 under Debian's python3-torch
 * in the same run, at the same size, batch and thread count. Medians of the timed steps after one warm-up step.
 */
export interface TrainBenchOptions {
  readonly size: number;
  readonly batch: number;
  readonly steps: number;
  readonly threads: number;
  readonly reference: boolean;
}

export interface TrainBenchRow {
  readonly name: string;
  readonly device: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly medianStepMs?: number;
  readonly imagesPerSecond?: number;
}

export interface TrainBenchResult {
  readonly options: TrainBenchOptions;
  readonly rows: readonly TrainBenchRow[];
  readonly loadAverage: readonly number[];
  readonly time: string;
}

const TORCH_TRAIN_SCRIPT = `
import json, sys, time
cfg = json.loads(sys.argv[1])
try:
    import torch, torchvision
except ImportError as e:
    print(json.dumps({"available": False, "reason": str(e)})); sys.exit(0)
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True, num_classes=6).train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
w = torch.tensor([2.0, 1, 1, 1, 1, 1])
x = torch.rand(cfg["batch"], 3, cfg["size"], cfg["size"])
y = (torch.rand(cfg["batch"], 6) > 0.8).float()
def step():
    opt.zero_grad()
    loss = (torch.nn.functional.binary_cross_entropy_with_logits(model(x), y, reduction="none") * w).sum(1).div(7).mean()
    loss.backward(); opt.step()
step()
times = []
for _ in range(cfg["steps"]):
    s = time.perf_counter(); step(); times.append((time.perf_counter() - s) * 1000)
times.sort()
print(json.dumps({"available": True, "medianStepMs": times[len(times) // 2],
    "device": "cpu (%d threads)" % torch.get_num_threads(),
    "name": "PyTorch %s torchvision %s inception_v3 (train)" % (torch.__version__, torchvision.__version__)}))
`;

export async function runTrainBench(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const rows: TrainBenchRow[] = [];
  if (options.reference) rows.push(await torchRow(options));
  rows.push(await torchTrainerRow(options));
  rows.push(await tfjsRow(options));
  const { loadavg } = await import('node:os');
  return { options, rows, loadAverage: loadavg(), time: new Date().toISOString() };
}

async function tfjsRow(options: TrainBenchOptions): Promise<TrainBenchRow> {
  const backend = await selectTrainingBackend();
  const model = buildClassifier(
    { ...DEFAULT_MODEL_CONFIG, inputSize: options.size, channels: 3 },
    { bnGamma: 'constant' },
  );
  model.compile({ optimizer: tf.train.adam(1e-4), loss: weightedBinaryCrossEntropy });
  const x = tf.randomUniform([options.batch, options.size, options.size, 3]);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([options.batch, LABELS.length]), 0.8), 'float32'));
  await model.trainOnBatch(x, y);
  const times: number[] = [];
  for (let i = 0; i < options.steps; i++) {
    const s = performance.now();
    await model.trainOnBatch(x, y);
    times.push(performance.now() - s);
  }
  tf.dispose([x, y]);
  model.dispose();
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  return {
    name: `tfjs ${tf.version.tfjs} (${backend})`,
    device: backend === 'wasm' ? 'cpu (wasm, 1 thread)' : backend,
    available: true,
    medianStepMs: median,
    imagesPerSecond: (options.batch * 1000) / median,
  };
}

/**
 * `ich-ml train --trainer torch`'s own step: scripts/torch_train.py's Keras-named InceptionV3 fed over the framed
 * stdin protocol, so the row includes the cost of handing NHWC float32 batches from Node to Python.
 */
async function torchTrainerRow(options: TrainBenchOptions): Promise<TrainBenchRow> {
  const name = 'ich-ml train --trainer torch';
  const device = `cpu (${options.threads} threads)`;
  const available = torchAvailability();
  if (!available.ok) return { name, device, available: false, reason: available.reason };
  const p = new TorchProcess({
    size: options.size,
    channels: 3,
    denseUnits: DEFAULT_MODEL_CONFIG.denseUnits,
    dropout: DEFAULT_MODEL_CONFIG.dropout,
    threads: options.threads,
    seed: 0,
  });
  try {
    const x = Float32Array.from({ length: options.batch * options.size * options.size * 3 }, () => Math.random());
    const y = Float32Array.from({ length: options.batch * LABELS.length }, () => (Math.random() > 0.8 ? 1 : 0));
    await p.trainStep(x, y, options.batch, 1e-4);
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      const s = performance.now();
      await p.trainStep(x, y, options.batch, 1e-4);
      times.push(performance.now() - s);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    return {
      name: `${name} (torch ${available.torch})`,
      device,
      available: true,
      medianStepMs: median,
      imagesPerSecond: (options.batch * 1000) / median,
    };
  } finally {
    await p.close();
  }
}

function torchRow(options: TrainBenchOptions): Promise<TrainBenchRow> {
  return new Promise((resolve) => {
    const child = spawn(referencePython(), ['-c', TORCH_TRAIN_SCRIPT, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => resolve({ name: 'PyTorch', device: 'cpu', available: false, reason: e.message }));
    child.on('close', () => {
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '') as {
          available: boolean;
          reason?: string;
          medianStepMs?: number;
          device?: string;
          name?: string;
        };
        resolve({
          name: r.name ?? 'PyTorch',
          device: r.device ?? 'cpu',
          available: r.available,
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.medianStepMs
            ? { medianStepMs: r.medianStepMs, imagesPerSecond: (options.batch * 1000) / r.medianStepMs }
            : {}),
        });
      } catch {
        resolve({ name: 'PyTorch', device: 'cpu', available: false, reason: err.trim().split('\n').pop() ?? 'failed' });
      }
    });
  });
}

export function formatTrainBench(result: TrainBenchResult): string {
  const o = result.options;
  const reference = result.rows.find((r) => r.name.startsWith('PyTorch') && r.imagesPerSecond);
  const lines = [
    `InceptionV3 training step, ${o.size} px, batch ${o.batch}, median of ${o.steps} steps (load average ${result.loadAverage.map((l) => l.toFixed(1)).join(' ')})`,
    '',
    'runtime                                                        device                img/s   step ms   vs PyTorch',
  ];
  for (const r of result.rows) {
    if (!r.available) {
      lines.push(`${r.name.padEnd(63)}skipped: ${r.reason ?? ''}`);
      continue;
    }
    const ratio =
      reference?.imagesPerSecond && r.imagesPerSecond ? reference.imagesPerSecond / r.imagesPerSecond : null;
    lines.push(
      `${r.name.padEnd(63)}${r.device.padEnd(20)}${r.imagesPerSecond!.toFixed(2).padStart(7)}${r.medianStepMs!.toFixed(0).padStart(10)}   ${ratio === null ? '' : r === reference ? '1.00×' : ratio >= 1 ? `${ratio.toFixed(1)}× slower` : `${(1 / ratio).toFixed(1)}× faster`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeTrainBenchJson(result: TrainBenchResult): Promise<string> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `train-${result.time.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function parseTrainBenchArgs(values: {
  readonly size?: string | undefined;
  readonly batch?: string | undefined;
  readonly steps?: string | undefined;
  readonly threads?: string | undefined;
  readonly 'no-reference'?: boolean | undefined;
}): TrainBenchOptions {
  return {
    size: intFlag(values, 'size', { min: 75, max: 512, default: 128 }),
    batch: intFlag(values, 'batch', { min: 1, max: 256, default: 16 }),
    steps: intFlag(values, 'steps', { min: 1, max: 100, default: 3 }),
    threads: intFlag(values, 'threads', { min: 1, max: 256, default: 2 }),
    reference: values['no-reference'] !== true,
  };
}
