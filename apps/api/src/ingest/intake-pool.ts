import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '@ich/errors';
import type { Intake } from './intake.js';
import {
  fromWire,
  type IntakeRequest,
  type IntakeResponse,
  type IntakeWorkerData,
  rebuildError,
} from './intake-protocol.js';

interface Task {
  chunks: readonly Uint8Array[];
  length: number;
  resolve(value: Intake): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  /** Files sent and not yet answered, with the size of the buffer each travels in. */
  running: Map<number, { task: Task; bufferBytes: number }>;
}

export interface IntakePoolOptions {
  /** Threads (default 4: each spends much of a file waiting for its fsyncs). */
  threads?: number;
  /** Most bytes of file buffers in existence (default 32 MiB); also the largest file `take` accepts. */
  bufferBytes?: number;
  /** The worker script; defaults to the compiled intake-worker.js. */
  workerUrl?: URL;
}

/** Files one thread has in hand at once: the next is already there when an fsync returns. */
const PER_THREAD = 2;
/** Buffers are at least this large and a multiple of it, so buffers of one study's slices fit each other's files. */
const BUFFER_QUANTUM = 1024 * 1024;

/**
 * Takes in STOW-RS parts on a few worker threads (`intakeSync` in each: parse, hash, write, fsync, rename, fsync the
 * directory). On the event loop those were about ten thread-pool round trips per file, each waiting for a turn of the
 * loop that was also reading the request. A thread runs the whole chain for one file and answers once; what it waits
 * on now is mostly the two fsyncs (docs/architecture.md, "Ingest throughput").
 *
 * A file's chunks are copied into a buffer that is moved to the thread and moved back with the answer, then reused:
 * a fresh buffer per file is fresh memory the kernel faults in page by page and unmaps again (~20 ms of system time
 * for a 40-slice study), and a SharedArrayBuffer is copied into byte by byte (V8's relaxed memmove, several times
 * slower than memcpy). The buffers in existence are bounded by `bufferBytes`; a file waits for room.
 *
 * Threads start on first use and are unref'd while idle, so the pool never keeps the process alive. A thread that
 * dies fails its files with INTERNAL and is replaced by the next file that needs one.
 */
export class IntakePool {
  private readonly threads: number;
  private readonly maxBufferBytes: number;
  private readonly workerUrl: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  /** Buffers back from the threads, smallest first. */
  private readonly spare: ArrayBuffer[] = [];
  /** Bytes of every buffer that exists (spare or travelling). */
  private bufferBytes = 0;
  private peakBytes = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly storageDir: string,
    options: IntakePoolOptions = {},
  ) {
    this.threads = Math.max(1, options.threads ?? 4);
    this.maxBufferBytes = options.bufferBytes ?? 32 * 1024 * 1024;
    this.workerUrl = options.workerUrl ?? defaultWorkerUrl();
  }

  /** The largest file `take` accepts; larger ones must be streamed to disk by the caller. */
  get maxFileBytes(): number {
    return this.maxBufferBytes;
  }

  /** The most bytes of buffers that existed at once (never above `bufferBytes`). */
  get peakBufferBytes(): number {
    return this.peakBytes;
  }

  /** Takes in one file given as its chunks (copied before the promise settles; the caller may drop them after). */
  take(chunks: readonly Uint8Array[]): Promise<Intake> {
    const length = chunks.reduce((sum, c) => sum + c.length, 0);
    if (this.closed) return Promise.reject(new AppError('INTERNAL', 'the intake pool is closed'));
    if (length > this.maxBufferBytes)
      return Promise.reject(new AppError('INTERNAL', `a file of ${length} bytes is larger than the intake buffers`));
    return new Promise((resolve, reject) => {
      this.queue.push({ chunks, length, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new AppError('INTERNAL', 'the intake pool was closed'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
    this.spare.length = 0;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.freeSlot();
      if (!slot) return;
      const task = this.queue[0] as Task;
      const buffer = this.acquire(task.length);
      if (!buffer) return; // no room for another buffer: a finishing file gives one back and pumps again
      this.queue.shift();
      const view = new Uint8Array(buffer);
      let at = 0;
      for (const chunk of task.chunks) {
        view.set(chunk, at);
        at += chunk.length;
      }
      const id = this.nextId++;
      slot.running.set(id, { task, bufferBytes: buffer.byteLength });
      slot.worker.ref();
      const request: IntakeRequest = { id, buffer, length: task.length };
      slot.worker.postMessage(request, [buffer]);
    }
  }

  /** A spare buffer that fits, else a new one if the bound allows (dropping spares that do not fit to make room). */
  private acquire(length: number): ArrayBuffer | null {
    const i = this.spare.findIndex((b) => b.byteLength >= length);
    if (i >= 0) return this.spare.splice(i, 1)[0] as ArrayBuffer;
    const size = Math.min(Math.max(1, Math.ceil(length / BUFFER_QUANTUM)) * BUFFER_QUANTUM, this.maxBufferBytes);
    while (this.bufferBytes + size > this.maxBufferBytes && this.spare.length > 0)
      this.bufferBytes -= (this.spare.shift() as ArrayBuffer).byteLength;
    if (this.bufferBytes + size > this.maxBufferBytes) return null;
    this.bufferBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.bufferBytes);
    return new ArrayBuffer(size);
  }

  private giveBack(buffer: ArrayBuffer): void {
    const i = this.spare.findIndex((b) => b.byteLength >= buffer.byteLength);
    this.spare.splice(i < 0 ? this.spare.length : i, 0, buffer);
  }

  /** The least busy thread with room, spawning one while no thread is idle and the pool is not full. */
  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.running.size < best.running.size) best = s;
    if ((!best || best.running.size > 0) && this.slots.length < this.threads) return this.spawn();
    return best && best.running.size < PER_THREAD ? best : undefined;
  }

  private spawn(): Slot {
    const workerData: IntakeWorkerData = { storageDir: this.storageDir };
    const worker = new Worker(this.workerUrl, { workerData });
    const slot: Slot = { worker, running: new Map() };
    worker.unref();
    worker.on('message', (response: IntakeResponse) => {
      const entry = slot.running.get(response.id);
      if (!entry) return;
      slot.running.delete(response.id);
      if (slot.running.size === 0) worker.unref();
      if (this.closed) this.bufferBytes -= entry.bufferBytes;
      else this.giveBack(response.buffer);
      if (!response.ok) entry.task.reject(rebuildError(response.code, response.message));
      else {
        const { id: _id, buffer: _buffer, ok: _ok, parsed, ...stored } = response;
        entry.task.resolve({ ...stored, parsed: fromWire(parsed) });
      }
      this.pump();
    });
    const fail = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const { task, bufferBytes } of slot.running.values()) {
        this.bufferBytes -= bufferBytes; // gone with the thread
        task.reject(new AppError('INTERNAL', `an intake thread ${why}`));
      }
      slot.running.clear();
      if (!this.closed) this.pump();
    };
    worker.on('error', (error) => fail(`failed: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}

/**
 * The compiled worker next to this module. When this module runs from TypeScript sources (vitest, tsx), Node cannot
 * start a .ts worker, so the built copy in dist/ is used instead (build the package first; `npm test` does).
 */
function defaultWorkerUrl(): URL {
  const beside = new URL('./intake-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/ingest/intake-worker.js', import.meta.url);
}
