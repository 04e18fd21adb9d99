import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import { decodeToHounsfield } from '../pipeline/hounsfield-image.js';
import type { HuWindow } from '../window/windows.js';
import { type Augmentation, renderAugmented } from './augment.js';

/** One training input: the slice's file (and, for 3-slice context, its neighbours) and its augmentation. */
export interface RenderItem {
  /** [file] (one channel per window) or [previous, file, next] (the first window of each). */
  readonly files: readonly string[];
  readonly aug: Augmentation;
}

export interface RenderTask {
  readonly dataDir: string;
  readonly items: readonly RenderItem[];
  /** Windows for one-slice inputs (one channel each); for context inputs the first is used for all three. */
  readonly windows: readonly HuWindow[];
  readonly context: boolean;
  readonly size: number;
}

interface HuFrame {
  readonly hu: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

async function loadHu(dataDir: string, file: string): Promise<HuFrame> {
  const path = join(dataDir, file);
  const image = await decodeToHounsfield(await readFile(path), { frameIndex: 0 });
  if (!image.ok) throw new AppError(image.error.code, `${path}: ${image.error.message}`);
  return { hu: image.value.hu, rows: image.value.rows, columns: image.value.columns };
}

/** Decodes and renders a batch → NHWC float32 [items, size, size, 3]. Used by the workers and in-thread alike. */
export async function renderBatch(task: RenderTask): Promise<Float32Array> {
  const channels = task.context ? 3 : task.windows.length;
  const pixels = task.size * task.size * channels;
  const out = new Float32Array(task.items.length * pixels);
  const cache = new Map<string, Promise<HuFrame>>();
  const load = (file: string): Promise<HuFrame> => {
    let p = cache.get(file);
    if (!p) {
      p = loadHu(task.dataDir, file);
      cache.set(file, p);
    }
    return p;
  };
  for (let i = 0; i < task.items.length; i++) {
    const item = task.items[i]!;
    if (task.context) {
      const [prev, cur, next] = await Promise.all(item.files.map(load));
      // A neighbour of another size cannot be stacked pixel for pixel; the centre slice stands in for it.
      const same = (s: HuFrame | undefined): Float32Array =>
        s && s.rows === cur!.rows && s.columns === cur!.columns ? s.hu : cur!.hu;
      const w = task.windows[0]!;
      renderAugmented(
        [same(prev), cur!.hu, same(next)],
        cur!.rows,
        cur!.columns,
        [w, w, w],
        task.size,
        item.aug,
        out,
        i * pixels,
      );
    } else {
      const cur = await load(item.files[item.files.length === 3 ? 1 : 0]!);
      renderAugmented(
        task.windows.map(() => cur.hu),
        cur.rows,
        cur.columns,
        task.windows,
        task.size,
        item.aug,
        out,
        i * pixels,
      );
    }
  }
  return out;
}
