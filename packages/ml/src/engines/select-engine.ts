import { AppError, isAppError } from '@ich/errors';
import type { ModelCard } from '../model/card.js';
import { readModelCard } from '../model/model-dir.js';
import { ENGINE_CHOICES, type Engine, type EngineChoice, type EngineKind } from './engine.js';
import { createOnnxEngine } from './onnx-engine.js';
import { createTfjsEngine } from './tfjs-engine.js';

/** Fastest first: onnxruntime (CPU/CUDA), then tfjs with libtensorflow (GPU, CPU), then tfjs-wasm (always there). */
const ORDER: Record<EngineChoice, readonly EngineKind[]> = {
  auto: ['onnx', 'tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'],
  tfjs: ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'],
  onnx: ['onnx'],
  // INT8 is asked for, never picked by auto (its accuracy is guarded against FP32, not equal to it); where it
  // cannot run (no VNNI, no or stale model.int8.onnx) the FP32 onnx engine takes over and `skipped` says why.
  'onnx-int8': ['onnx-int8', 'onnx'],
  'tfjs-node-gpu': ['tfjs-node-gpu'],
  'tfjs-node': ['tfjs-node'],
  'tfjs-wasm': ['tfjs-wasm'],
};

export interface SelectEngineOptions {
  readonly choice?: EngineChoice;
  /** Module specifier overrides per engine (tests use them to make an installed engine "missing"). */
  readonly modules?: Partial<Record<EngineKind, string>>;
  readonly warmUp?: boolean;
  readonly threads?: number;
  /** The CPU's feature flags for onnx-int8 (default: read from /proc/cpuinfo); tests pass a CPU without VNNI. */
  readonly cpuFlags?: readonly string[];
}

export interface SelectedEngine {
  readonly engine: Engine;
  readonly card: ModelCard;
  /** Engines tried before the chosen one, with why each was passed over. */
  readonly skipped: readonly { kind: EngineKind; reason: string }[];
}

export function parseEngineChoice(value: string | undefined, source = '--engine'): EngineChoice {
  if (value === undefined || value === '') return 'auto';
  if ((ENGINE_CHOICES as readonly string[]).includes(value)) return value as EngineChoice;
  throw new AppError('BAD_USER_INPUT', `${source}: unknown engine "${value}"; use one of ${ENGINE_CHOICES.join(', ')}`);
}

/** The engine choice from a flag, else ICH_ENGINE, else auto. */
export function engineChoiceFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineChoice {
  return flag !== undefined ? parseEngineChoice(flag) : parseEngineChoice(env.ICH_ENGINE, 'ICH_ENGINE');
}

/**
 * Loads the model in the first engine of the choice's order that works. Only "unavailable" failures (package not
 * installed, backend not initialising, no ONNX file) move on to the next; a broken model is reported at once.
 */
export async function selectEngine(dir: string, options: SelectEngineOptions = {}): Promise<SelectedEngine> {
  const card = await readModelCard(dir);
  const choice = options.choice ?? 'auto';
  const skipped: { kind: EngineKind; reason: string }[] = [];
  for (const kind of ORDER[choice]) {
    const module = options.modules?.[kind];
    const common = {
      ...(module ? { module } : {}),
      ...(options.warmUp !== undefined ? { warmUp: options.warmUp } : {}),
    };
    try {
      const engine =
        kind === 'onnx' || kind === 'onnx-int8'
          ? await createOnnxEngine(dir, card, {
              ...common,
              ...(options.threads ? { threads: options.threads } : {}),
              ...(kind === 'onnx-int8'
                ? { int8: true, ...(options.cpuFlags ? { cpuFlags: options.cpuFlags } : {}) }
                : {}),
            })
          : await createTfjsEngine(kind, dir, card, common);
      return { engine, card, skipped };
    } catch (error) {
      if (isAppError(error) && error.code === 'ENGINE_UNAVAILABLE') {
        // Asked for exactly one engine: its own reason is the whole story.
        if (ORDER[choice].length === 1) throw error;
        if (kind === 'onnx-int8')
          process.emitWarning(`${error.message}; falling back to FP32 onnx`, 'IchEngineFallback');
        skipped.push({ kind, reason: error.message });
        continue;
      }
      throw error;
    }
  }
  throw new AppError(
    'ENGINE_UNAVAILABLE',
    `no ${choice === 'auto' ? '' : `"${choice}" `}engine is available: ${skipped.map((s) => s.reason).join('; ')}`,
    { choice },
  );
}

const shared = new Map<string, Promise<SelectedEngine>>();

/**
 * One model load per process: callers that run many studies (the worker, the CLI) share one engine per
 * (directory, choice). A failed load is forgotten so a later call can retry.
 */
export function sharedEngine(dir: string, options: SelectEngineOptions = {}): Promise<SelectedEngine> {
  const key = `${dir}\u0000${options.choice ?? 'auto'}`;
  let pending = shared.get(key);
  if (!pending) {
    pending = selectEngine(dir, options);
    pending.catch(() => shared.delete(key));
    shared.set(key, pending);
  }
  return pending;
}

/** Disposes every shared engine (process shutdown, tests). */
export async function disposeSharedEngines(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const p of all) await p.then((s) => s.engine.dispose()).catch(() => undefined);
}
