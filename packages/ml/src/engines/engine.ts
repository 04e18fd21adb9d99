/**
 * One interface for every way of running the classifier. All engines take the same NHWC float32 batch
 * (n × size × size × channels, as the preprocessing layer builds it) and return n × labels probabilities.
 */
export const ENGINE_KINDS = ['onnx', 'onnx-int8', 'tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** What a user may ask for: a specific engine, any tfjs backend, or the fastest available. */
export type EngineChoice = 'auto' | 'tfjs' | EngineKind;
export const ENGINE_CHOICES: readonly EngineChoice[] = [
  'auto',
  'onnx',
  'tfjs',
  'tfjs-node-gpu',
  'tfjs-node',
  'tfjs-wasm',
  'onnx-int8',
];

export interface Engine {
  readonly name: EngineKind;
  /** Where it runs, in words: "cpu (2 threads)", "cuda", "cpu (wasm, 1 thread)". */
  readonly device: string;
  /** Library and version, e.g. "onnxruntime-node 1.30.0". */
  readonly runtime: string;
  readonly inputSize: number;
  readonly channels: number;
  readonly outputs: number;
  /** Runs n images (NHWC, float32, n × size × size × channels values) and returns n × outputs probabilities. */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  /** Frees the model and runtime resources (sessions, tensors, thread pools). The engine is unusable afterwards. */
  dispose(): Promise<void>;
}

export function describeEngine(engine: Pick<Engine, 'name' | 'device' | 'runtime'>): string {
  return `${engine.name} (${engine.runtime}) on ${engine.device}`;
}
