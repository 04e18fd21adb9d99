import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError } from '@ich/errors';
import type { DatasetImage } from '../dataset/dataset-index.js';
import { BatchGenerator, planEpoch } from '../dataset/generator.js';
import { type EvaluatedImage, evaluateImages } from '../evaluate/evaluate.js';
import { type Scored, thresholdForSensitivity } from '../evaluate/metrics.js';
import { aggregate } from '../inference/aggregate.js';
import { importKeras } from '../keras/import-keras.js';
import { LABELS, type LabelProbabilities } from '../labels.js';
import type { ModelCard } from '../model/card.js';
import { DEFAULT_MODEL_CONFIG } from '../model/config.js';
import { hashString } from '../synth/random.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import type { LoopState } from './checkpoint.js';
import { type EpochRecord, endEpoch, scoreSet } from './epoch-end.js';
import { buildIndexForTraining } from './prepare-data.js';
import { learningRateAt, type TrainOptions } from './train.js';

/**
 * The PyTorch trainer behind `ich-ml train --trainer torch`. Node keeps everything the product owns: the index, the
 * patient split, oversampling, augmentation with window jitter and the product's preprocessing (BatchGenerator on
 * worker threads), and the loop itself (cosine learning rate, checkpoints, resume, early stopping, JSON-lines log,
 * curve). Only the network runs in Python (scripts/torch_train.py, Debian's python3-torch): batches go to its stdin as
 * framed float32 NHWC, exactly what inference feeds the model, so training and inference preprocess identically.
 * At the end the best epoch's weights come back as a Keras-layout .h5 and importKeras() writes the model directory
 * (tfjs + ONNX + card), so a torch-trained model is indistinguishable from any other in the product.
 */

/** Debian's interpreter (where python3-torch lives), not whatever `python3` is first on PATH. */
export const TORCH_PYTHON = process.env.ICH_TORCH_PYTHON ?? '/usr/bin/python3';

export type TorchAvailability = { ok: true; torch: string } | { ok: false; reason: string };

/** Whether PyTorch and h5py import under TORCH_PYTHON: checked at run time, like the optional tfjs-node. */
export function torchAvailability(python = TORCH_PYTHON): TorchAvailability {
  const r = spawnSync(python, ['-c', 'import torch, h5py; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) return { ok: false, reason: `${python} cannot run: ${r.error.message}` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`;
    return { ok: false, reason: `${python} cannot import torch and h5py (${last})` };
  }
  return { ok: true, torch: r.stdout.trim() };
}

/** scripts/torch_train.py: two levels up from both src/train and dist/train. */
export function torchScriptPath(): string {
  return fileURLToPath(new URL('../../scripts/torch_train.py', import.meta.url));
}

interface Reply {
  readonly error?: string;
  readonly loss?: number;
  readonly p?: number[];
  readonly ok?: boolean;
  readonly ready?: boolean;
  readonly torch?: string;
  readonly threads?: number;
}

/** The Python step server: one request at a time, each answered by one JSON line. */
export class TorchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: ((r: Reply) => void)[] = [];
  private readonly queued: Reply[] = [];
  private exited: Error | null = null;
  private stderrTail = '';
  readonly ready: Promise<Reply>;

  constructor(options: {
    size: number;
    channels: number;
    denseUnits: number;
    dropout: number;
    threads: number;
    seed: number;
    python?: string;
    onLog?: (line: string) => void;
  }) {
    const args = [
      torchScriptPath(),
      '--size',
      String(options.size),
      '--channels',
      String(options.channels),
      '--dense-units',
      String(options.denseUnits),
      '--dropout',
      String(options.dropout),
      '--threads',
      String(options.threads),
      '--seed',
      String(options.seed),
    ];
    // OpenMP threads that sleep instead of spinning when they wait: on a shared machine a spinning thread burns the
    // core another process needs.
    const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
    this.child = spawn(options.python ?? TORCH_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        reply = { error: `torch_train.py wrote a line that is not JSON: ${line.slice(0, 200)}` };
      }
      const waiting = this.replies.shift();
      if (waiting) waiting(reply);
      else this.queued.push(reply);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderrTail = `${this.stderrTail}\n${line}`.slice(-4000);
      options.onLog?.(line);
    });
    this.child.stdin.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.exited = new AppError(
        'INTERNAL',
        `torch_train.py exited (${signal ?? code})${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`,
      );
      for (const r of this.replies.splice(0)) r({ error: this.exited.message });
    });
    this.ready = this.next();
  }

  private next(): Promise<Reply> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve({ error: this.exited.message });
    return new Promise((resolve) => this.replies.push(resolve));
  }

  async request(header: Record<string, unknown>, payload: readonly Float32Array[] = []): Promise<Reply> {
    await this.ready;
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify(header)}\n`);
    for (const p of payload) this.child.stdin.write(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    const reply = await answer;
    if (reply.error) throw new AppError('INTERNAL', `torch trainer: ${reply.error}`);
    return reply;
  }

  async trainStep(x: Float32Array, y: Float32Array, n: number, lr: number): Promise<number> {
    return (await this.request({ cmd: 'train', n, lr }, [x, y])).loss!;
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    return Float32Array.from((await this.request({ cmd: 'predict', n }, [x])).p!);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }
}

export interface TorchTrainOptions extends TrainOptions {
  /** PyTorch intra-op threads (default 2). */
  readonly threads?: number;
  readonly python?: string;
  /** Text for the card's trainingData (default: the data folder and split sizes). */
  readonly trainingData?: string;
  readonly modelName?: string;
  readonly onLog?: (line: string) => void;
}

export interface TorchTrainResult {
  readonly backend: string;
  readonly history: readonly EpochRecord[];
  readonly state: LoopState;
  readonly stoppedEarly: boolean;
  readonly card: ModelCard | null;
  readonly train: number;
  readonly val: number;
  /** The .h5 written from the best epoch (Keras layout), when the model directory was written. */
  readonly h5: string | null;
}

export async function trainTorch(options: TorchTrainOptions): Promise<TorchTrainResult> {
  const available = torchAvailability(options.python);
  if (!available.ok) throw new AppError('BAD_USER_INPUT', `--trainer torch: ${available.reason}`);
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 16;
  const size = options.size ?? 128;
  const lr = options.lr ?? 1e-3;
  const seed = options.seed ?? 'ich-train';
  const context = options.context ?? 1;
  const patience = options.patience ?? 3;
  const denseUnits = options.denseUnits ?? DEFAULT_MODEL_CONFIG.denseUnits;
  const dropout = options.dropout ?? DEFAULT_MODEL_CONFIG.dropout;
  const threads = options.threads ?? 2;
  const trainingDir = join(options.out, 'training');
  await mkdir(trainingDir, { recursive: true });
  const logFile = join(trainingDir, 'log.jsonl');
  const checkpointDir = join(trainingDir, 'checkpoint');
  const bestDir = join(trainingDir, 'best');
  const backend = `torch ${available.torch} (${threads} threads)`;

  const data = await buildIndexForTraining(options);
  const { train: trainSet, val: valSet } = data;
  if (trainSet.length === 0) throw new AppError('BAD_USER_INPUT', 'no labelled training images found');

  const torch = new TorchProcess({
    size,
    channels: 3,
    denseUnits,
    dropout,
    threads,
    seed: hashString(`${seed}:weights`) >>> 0,
    ...(options.python ? { python: options.python } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  const started = await torch.ready;
  if (started.error) throw new AppError('INTERNAL', `torch trainer did not start: ${started.error}`);

  let state: LoopState = {
    epoch: 0,
    globalStep: 0,
    bestValLoss: Number.POSITIVE_INFINITY,
    bestEpoch: -1,
    epochsWithoutImprovement: 0,
  };
  const stateFile = (dir: string) => join(dir, 'state.json');
  if (options.resume && existsSync(stateFile(checkpointDir))) {
    state = JSON.parse(await readFile(stateFile(checkpointDir), 'utf8')) as LoopState;
    await torch.request({ cmd: 'load', dir: checkpointDir });
  } else await writeFile(logFile, '');
  const save = async (dir: string, saved: LoopState): Promise<void> => {
    await torch.request({ cmd: 'save', dir });
    await writeFile(stateFile(dir), `${JSON.stringify(saved)}\n`);
  };

  const windows = context === 3 ? [DEFAULT_WINDOWS[0]] : DEFAULT_WINDOWS;
  const generatorOptions = { dataDir: options.dataDir, size, windows, context: context === 3, batchSize, seed };
  const generator = new BatchGenerator(trainSet, { ...generatorOptions, workers: options.workers ?? 1 });
  const valGenerator = new BatchGenerator(valSet, { ...generatorOptions, workers: options.workers ?? 1 });
  const history: EpochRecord[] = [];
  let stoppedEarly = false;
  let epochsThisCall = 0;
  let card: ModelCard | null = null;
  let h5: string | null = null;
  try {
    while (state.epoch < epochs) {
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
      const epoch = state.epoch;
      const rate = learningRateAt(epoch, epochs, lr);
      const plan = planEpoch(trainSet, epoch, seed, options.oversample ?? 2, options.augment ?? true);
      const steps = Math.ceil(plan.order.length / batchSize);
      const t0 = Date.now();
      let images = 0;
      let lossSum = 0;
      let step = 0;
      for await (const batch of generator.batches(plan, epoch)) {
        const loss = await torch.trainStep(batch.x, batch.y, batch.n, rate);
        if (!Number.isFinite(loss)) throw new AppError('INTERNAL', `training diverged: loss ${loss} at step ${step}`);
        lossSum += loss * batch.n;
        images += batch.n;
        step++;
        state = { ...state, globalStep: state.globalStep + 1 };
        const ips = images / Math.max((Date.now() - t0) / 1000, 1e-3);
        options.onStep?.({
          epoch,
          epochs,
          step,
          steps,
          loss: lossSum / images,
          imagesPerSecond: ips,
          etaSeconds: ((steps - step) * batchSize) / Math.max(ips, 1e-9),
        });
      }
      const seconds = (Date.now() - t0) / 1000;
      const val = valSet.length > 0 ? await scoreSet(valGenerator, valSet, (x, n) => torch.predict(x, n)) : null;
      const end = await endEpoch({
        state,
        epoch,
        lr: rate,
        lossSum,
        images,
        seconds,
        val,
        patience,
        backend,
        files: { logFile, bestDir, checkpointDir },
        save: (dir, next) => save(dir, next),
      });
      state = end.state;
      const record = end.record;
      history.push(record);
      options.onEpoch?.(record);
      epochsThisCall++;
      if (end.stop) {
        stoppedEarly = true;
        break;
      }
    }

    const finished = state.epoch >= epochs || stoppedEarly;
    if ((options.writeModel ?? true) && finished) {
      await torch.request({ cmd: 'load', dir: bestDir });
      h5 = join(trainingDir, 'best.h5');
      await torch.request({ cmd: 'export', path: h5 });
      const val = valSet.length > 0 ? await scoreSet(valGenerator, valSet, (x, n) => torch.predict(x, n)) : null;
      const picked = val ? pickThresholds(valSet, val) : null;
      const thresholds = picked?.thresholds ?? (Object.fromEntries(LABELS.map((l) => [l, 0.5])) as LabelProbabilities);
      const metrics: Record<string, number> = {};
      if (val && picked) {
        const report = evaluateImages(picked.images, {
          thresholds,
          thresholdSource: 'validation',
          aggregation: 'max',
        });
        metrics.valWeightedLogLoss = report.weightedLogLoss;
        metrics.valBaselineWeightedLogLoss = report.baselineWeightedLogLoss;
        for (const label of LABELS) {
          const auc = report.labels[label].auc;
          if (auc !== null) metrics[`valAuc_${label}`] = auc;
        }
        if (report.study) {
          const { sensitivity, specificity } = report.study.triage;
          if (sensitivity !== null) metrics.valStudySensitivity = sensitivity;
          if (specificity !== null) metrics.valStudySpecificity = specificity;
        }
      }
      const minutes = history.reduce((s, r) => s + r.seconds, 0) / 60;
      card = await importKeras(h5, {
        out: options.out,
        inputSize: size,
        contextSlices: context,
        name: options.modelName ?? 'ich-inception-v3',
        version: `1.0.0+${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`,
        float16: options.float16 === true,
        card: {
          thresholds,
          metrics,
          trainingData:
            options.trainingData ??
            `${options.dataDir}: ${trainSet.length} training and ${valSet.length} validation slices (${data.patients.train}/${data.patients.val} patients, split by patient)`,
          recipe: {
            trainer: 'torch',
            backend,
            inputSize: size,
            batchSize,
            epochs: state.bestEpoch + 1,
            steps: state.globalStep,
            minutes: Math.round(minutes * 10) / 10,
            lr,
            seed,
          },
          limitations: [
            'Validation figures come from the same source as the training data; they say nothing about real patients',
            'Thresholds: per label the highest reaching 95% sensitivity on the validation patients (images and studies)',
            'Not a medical device; never use for diagnosis or triage of patients',
          ],
        },
      });
    }
  } finally {
    await generator.close();
    await valGenerator.close();
    await torch.close();
  }
  return { backend, history, state, stoppedEarly, card, train: trainSet.length, val: valSet.length, h5 };
}

/**
 * Card thresholds from the validation patients (never the test set): per label the lower of the image-level and the
 * study-level (max roll-up, as the card aggregates) thresholds that reach 95% sensitivity, so a study is flagged at
 * least that often when it bleeds.
 */
export function pickThresholds(
  set: readonly DatasetImage[],
  scored: readonly Scored[],
): { thresholds: LabelProbabilities; images: EvaluatedImage[] } {
  const images: EvaluatedImage[] = scored.map((r, i) => ({ ...r, id: set[i]!.id, study: set[i]!.studyInstanceUid }));
  const byStudy = new Map<string, EvaluatedImage[]>();
  for (const im of images) byStudy.set(im.study!, [...(byStudy.get(im.study!) ?? []), im]);
  const studies = [...byStudy.values()];
  const thresholds = {} as Record<string, number>;
  LABELS.forEach((label, k) => {
    const candidates: number[] = [];
    const image = thresholdForSensitivity(
      images.map((r) => r.truth[k]!),
      images.map((r) => r.probability[k]!),
    );
    if (image) candidates.push(image.threshold);
    const study = thresholdForSensitivity(
      studies.map((list) => Math.max(...list.map((r) => r.truth[k]!))),
      studies.map((list) =>
        aggregate(
          list.map((r) => r.probability[k]!),
          'max',
        ),
      ),
    );
    if (study) candidates.push(study.threshold);
    thresholds[label] = candidates.length > 0 ? Math.min(1, Math.max(0, Math.min(...candidates))) : 0.5;
  });
  return { thresholds: thresholds as LabelProbabilities, images };
}
