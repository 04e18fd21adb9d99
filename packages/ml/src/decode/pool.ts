import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, err, ok, type Result } from '@ich/errors';
import type { StoredArray } from '../dicom/types.js';
import type { DecodeRequest, DecodeResponse } from './protocol.js';

export interface DecodePoolOptions {
  /** Number of worker threads (default: available cores). */
  readonly size?: number;
  /** Default per-frame time limit in ms (default 10 s). */
  readonly timeoutMs?: number;
  /** The worker script; defaults to the compiled decode-worker.js next to this module. */
  readonly workerUrl?: URL;
}

interface Slot {
  worker: Worker;
  task: Pending | null;
}

interface Pending {
  request: DecodeRequest;
  timeoutMs: number;
  resolve: (r: Result<StoredArray>) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A small pool of decode worker threads. Codecs are native code compiled to WebAssembly: a hostile bitstream may
 * make one loop or abort, so each frame has a time limit; a worker that overruns it is terminated and replaced.
 * Idle workers are unref'd, so the pool never keeps the process alive once the work is done.
 */
export class DecodePool {
  readonly size: number;
  private readonly timeoutMs: number;
  private readonly workerUrl: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: DecodePoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.workerUrl = options.workerUrl ?? defaultWorkerUrl();
  }

  decode(request: Omit<DecodeRequest, 'id'>, timeoutMs = this.timeoutMs): Promise<Result<StoredArray>> {
    if (this.closed) return Promise.resolve(err(new AppError('INTERNAL', 'the decode pool is closed')));
    return new Promise((resolve) => {
      this.queue.push({ request: { ...request, id: this.nextId++ }, timeoutMs, resolve });
      this.pump();
    });
  }

  /** Terminates every worker; pending frames fail with INTERNAL. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(err(new AppError('INTERNAL', 'the decode pool was closed')));
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        if (slot.task) this.finish(slot, err(new AppError('INTERNAL', 'the decode pool was closed')));
        return slot.worker.terminate();
      }),
    );
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot =
        this.slots.find((s) => s.task === null) ?? (this.slots.length < this.size ? this.spawn() : undefined);
      if (!slot) return;
      const task = this.queue.shift() as Pending;
      slot.task = task;
      slot.worker.ref();
      task.timer = setTimeout(() => {
        this.replace(slot);
        this.finish(
          slot,
          err(new AppError('DECODE_TIMEOUT', `decoding a frame took longer than ${task.timeoutMs} ms`)),
        );
      }, task.timeoutMs);
      // The frame is a private copy made by decodeFrame, so its buffer can be moved rather than cloned.
      const frame = task.request.frame;
      const transfer =
        frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength ? [frame.buffer as ArrayBuffer] : [];
      slot.worker.postMessage(task.request, transfer);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    const slot: Slot = { worker, task: null };
    worker.unref();
    worker.on('message', (response: DecodeResponse) => {
      if (!slot.task || slot.task.request.id !== response.id) return;
      this.finish(slot, response.ok ? ok(response.values) : err(new AppError(response.code, response.message)));
    });
    worker.on('error', (error) => {
      this.replace(slot);
      this.finish(slot, err(new AppError('DECODE_FAILED', `the decoder crashed: ${error.message}`)));
    });
    worker.on('exit', () => {
      this.replace(slot);
      if (slot.task) this.finish(slot, err(new AppError('DECODE_FAILED', 'the decoder exited unexpectedly')));
    });
    this.slots.push(slot);
    return slot;
  }

  /** Removes a broken or overrunning worker; a fresh one is spawned when the next frame needs it. */
  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) {
      this.slots.splice(i, 1);
      void slot.worker.terminate();
    }
  }

  private finish(slot: Slot, result: Result<StoredArray>): void {
    const task = slot.task;
    if (!task) return;
    slot.task = null;
    clearTimeout(task.timer);
    if (this.slots.includes(slot)) slot.worker.unref();
    task.resolve(result);
    this.pump();
  }
}

/**
 * The compiled worker next to this module. When this module runs from TypeScript sources (vitest, tsx), Node
 * cannot start a .ts worker, so the built copy in dist/ is used instead (build the package first).
 */
function defaultWorkerUrl(): URL {
  const beside = new URL('./decode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/decode/decode-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : beside;
}

let shared: DecodePool | null = null;

/** The process-wide pool used by decodeFrame unless a pool is passed explicitly. */
export function sharedDecodePool(): DecodePool {
  shared ??= new DecodePool();
  return shared;
}

/** Closes the process-wide pool (optional: idle workers never keep the process alive). */
export async function closeSharedDecodePool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}
