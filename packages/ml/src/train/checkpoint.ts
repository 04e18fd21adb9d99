import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * A training checkpoint: every model weight (trainable and not: BatchNorm statistics too), the optimizer's state
 * (Adam's moments and step count) and the loop's own state. Written to a temporary folder and renamed into place,
 * so a crash mid-write leaves the previous checkpoint intact.
 */
export interface LoopState {
  /** Epochs completed. */
  readonly epoch: number;
  readonly globalStep: number;
  readonly bestValLoss: number;
  readonly bestEpoch: number;
  readonly epochsWithoutImprovement: number;
}

interface Manifest {
  readonly format: 'ich-train-checkpoint/1';
  readonly state: LoopState;
  readonly model: { name: string; shape: number[] }[];
  readonly optimizer: { name: string; shape: number[] }[];
  /** Adam's running β powers, exactly (see restoreAdamPowers). */
  readonly adamPowers?: [number, number];
}

interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: LoopState,
): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const modelWeights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const pack = async (list: { name: string; tensor: tf.Tensor }[]) => {
    const parts = await Promise.all(list.map((w) => w.tensor.data()));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p as Float32Array, o);
      o += p.length;
    }
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
  await writeFile(join(tmp, 'model.bin'), await pack(modelWeights));
  await writeFile(join(tmp, 'optimizer.bin'), await pack(optimizerWeights));
  const manifest: Manifest = {
    format: 'ich-train-checkpoint/1',
    state,
    model: modelWeights.map((w) => ({ name: w.name, shape: w.tensor.shape })),
    optimizer: optimizerWeights.map((w) => ({ name: w.name, shape: w.tensor.shape })),
    ...adamPowers(optimizer),
  };
  await writeFile(join(tmp, 'checkpoint.json'), `${JSON.stringify(manifest)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

function adamPowers(optimizer: tf.Optimizer): { adamPowers?: [number, number] } {
  const adam = optimizer as unknown as AdamInternals;
  if (!adam.accBeta1 || !adam.accBeta2) return {};
  return { adamPowers: [adam.accBeta1.dataSync()[0]!, adam.accBeta2.dataSync()[0]!] };
}

/** Reads a checkpoint into the model and optimizer; returns its loop state, or null when there is none. */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): Promise<LoopState | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
  const unpack = async (file: string, specs: { name: string; shape: number[] }[]) => {
    const bytes = await readFile(join(dir, file));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let o = 0;
    return specs.map((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(all.subarray(o, o + n), s.shape, 'float32');
      o += n;
      return { name: s.name, tensor: t };
    });
  };
  const weights = await unpack('model.bin', manifest.model);
  if (weights.length !== model.weights.length)
    throw new Error(`checkpoint has ${weights.length} weights, the model ${model.weights.length}`);
  model.weights.forEach((w, i) => {
    const saved = weights[i]!;
    if (saved.name !== w.originalName || saved.tensor.shape.join('x') !== w.shape.join('x'))
      throw new Error(
        `checkpoint weight ${i} is ${saved.name} ${saved.tensor.shape}, the model has ${w.originalName} ${w.shape}`,
      );
    w.write(saved.tensor);
  });
  tf.dispose(weights.map((w) => w.tensor));
  const optimizerWeights = await unpack('optimizer.bin', manifest.optimizer);
  await optimizer.setWeights(optimizerWeights);
  // tfjs' Adam.setWeights recomputes β^t with pow(); training multiplies by β once a step. The two differ in the
  // last float32 bit, and Adam turns that into different steps for weights whose gradient is near zero, so a
  // resumed run would drift from an uninterrupted one. Restore the exact running products instead.
  const adam = optimizer as unknown as AdamInternals;
  if (manifest.adamPowers && adam.accBeta1 && adam.accBeta2) {
    const [b1, b2] = manifest.adamPowers;
    tf.tidy(() => {
      adam.accBeta1!.assign(tf.scalar(b1));
      adam.accBeta2!.assign(tf.scalar(b2));
    });
  }
  return manifest.state;
}
