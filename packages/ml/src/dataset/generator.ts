import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '@ich/errors';
import { LABELS } from '../labels.js';
import { createRng, type Rng } from '../synth/random.js';
import type { HuWindow } from '../window/windows.js';
import { IDENTITY, randomAugmentation } from './augment.js';
import type { DatasetImage } from './dataset-index.js';
import { type RenderTask, renderBatch } from './render-batch.js';

export interface GeneratorOptions {
  readonly dataDir: string;
  readonly size: number;
  readonly windows: readonly HuWindow[];
  readonly context: boolean;
  readonly batchSize: number;
  /** Worker threads preprocessing ahead of the training step; 0 renders on the calling thread. */
  readonly workers: number;
  /** Batches in flight ahead of the consumer (default 2 × workers, at least 1). */
  readonly prefetch?: number;
  readonly seed: string;
}

export interface Batch {
  /** NHWC float32 [n, size, size, channels]. */
  readonly x: Float32Array;
  /** [n, 6] truth in LABELS order. */
  readonly y: Float32Array;
  readonly n: number;
}

export interface EpochPlan {
  /** Dataset indices in visiting order (positives repeated when oversampling). */
  readonly order: readonly number[];
  readonly augment: boolean;
}

/**
 * The visiting order of one epoch: 'any'-positive slices repeated `oversample` times (a fraction adds one more copy
 * with that probability), then shuffled. The seed and epoch number fix it, so a resumed run sees the same batches.
 */
export function planEpoch(
  dataset: readonly DatasetImage[],
  epoch: number,
  seed: string,
  oversample: number,
  augment: boolean,
): EpochPlan {
  const rng = createRng(`${seed}:order:${epoch}`);
  const order: number[] = [];
  dataset.forEach((im, i) => {
    let copies = 1;
    if (im.labels[0]! > 0.5 && oversample > 1) copies = Math.floor(oversample) + (rng.next() < oversample % 1 ? 1 : 0);
    for (let c = 0; c < copies; c++) order.push(i);
  });
  shuffle(order, rng);
  return { order, augment };
}

function shuffle<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Multi-threaded batch generator (the seed project's multi-core Keras generator): worker threads decode DICOM,
 * augment, window and resize whole batches while the training step runs, `prefetch` batches ahead, and hand the
 * tensors back without copying. The workers keep the process alive until close(). Batches arrive in plan order whatever the thread timing, and augmentation is drawn
 * on the calling thread from the seed, so the data of a run does not depend on the number of workers.
 */
export class BatchGenerator {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (x: Float32Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private nextWorker = 0;

  constructor(
    private readonly dataset: readonly DatasetImage[],
    private readonly options: GeneratorOptions,
  ) {
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(workerUrl(), { resourceLimits: { maxOldGenerationSizeMb: 1024 } });
      worker.on('message', (m: { id: number; x?: Float32Array; error?: { code: ErrorCode; message: string } }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.x) p.resolve(m.x);
        else p.reject(new AppError(m.error?.code ?? 'INTERNAL', m.error?.message ?? 'batch worker failed'));
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  get channels(): number {
    return this.options.context ? 3 : this.options.windows.length;
  }

  /** Batches of one epoch plan, in order. The last batch may be short. */
  async *batches(plan: EpochPlan, epoch: number): AsyncGenerator<Batch> {
    const { batchSize } = this.options;
    const count = Math.ceil(plan.order.length / batchSize);
    const rng = createRng(`${this.options.seed}:augment:${epoch}`);
    const tasks: { task: RenderTask; y: Float32Array }[] = [];
    for (let b = 0; b < count; b++) {
      const indices = plan.order.slice(b * batchSize, (b + 1) * batchSize);
      const y = new Float32Array(indices.length * LABELS.length);
      const items = indices.map((idx, k) => {
        const im = this.dataset[idx]!;
        y.set(im.labels, k * LABELS.length);
        return {
          files: this.options.context ? [im.previous, im.file, im.next] : [im.file],
          aug: plan.augment ? randomAugmentation(rng) : IDENTITY,
        };
      });
      tasks.push({
        task: {
          dataDir: this.options.dataDir,
          items,
          windows: this.options.windows,
          context: this.options.context,
          size: this.options.size,
        },
        y,
      });
    }
    const ahead = Math.max(1, this.options.prefetch ?? 2 * this.workers.length);
    const inFlight: Promise<Float32Array>[] = [];
    let issued = 0;
    const issue = (): void => {
      const t = tasks[issued++]!;
      const p = this.render(t.task);
      p.catch(() => undefined);
      inFlight.push(p);
    };
    while (issued < Math.min(ahead, count)) issue();
    for (let b = 0; b < count; b++) {
      const x = await inFlight.shift()!;
      if (issued < count) issue();
      yield { x, y: tasks[b]!.y, n: tasks[b]!.task.items.length };
    }
  }

  private render(task: RenderTask): Promise<Float32Array> {
    if (this.workers.length === 0) return renderBatch(task);
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/**
 * The worker module. Node cannot start a .ts worker, so when running from the TypeScript sources (vitest, tsx)
 * the built copy in dist/ is used (build the package first), as for the decode pool.
 */
function workerUrl(): URL {
  const beside = new URL('./batch-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/dataset/batch-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : beside;
}
