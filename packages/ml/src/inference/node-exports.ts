/**
 * Node-only model surface: InceptionV3, model directories (tfjs + card + ONNX), the ONNX exporter, engines and their
 * run-time selection, study inference. Re-exported by `@ich/ml/node`.
 */

export {
  describeEngine,
  ENGINE_CHOICES,
  ENGINE_KINDS,
  type Engine,
  type EngineChoice,
  type EngineKind,
} from '../engines/engine.js';
export { createOnnxEngine, type OnnxEngineOptions } from '../engines/onnx-engine.js';
export {
  disposeSharedEngines,
  engineChoiceFrom,
  parseEngineChoice,
  type SelectEngineOptions,
  type SelectedEngine,
  selectEngine,
  sharedEngine,
} from '../engines/select-engine.js';
export {
  createTfjsEngine,
  TFJS_BACKENDS,
  type TfjsEngineKind,
  type TfjsEngineOptions,
} from '../engines/tfjs-engine.js';
export { buildClassifier, buildInceptionV3Base, HEAD_LAYER_NAMES } from '../model/classifier.js';
export { ensureModelDir } from '../model/ensure-model.js';
export type { InceptionV3Options } from '../model/inception-v3.js';
export { type InitModelOptions, initModel, UNTRAINED_VERSION } from '../model/init-model.js';
export {
  CARD_FILE,
  exportOnnxInDir,
  loadTfjsModelChecked,
  ONNX_FILE,
  readModelCard,
  writeModelDir,
} from '../model/model-dir.js';
export { DEFAULT_MODEL_NAME, resolveModelDir, shippedModelDir } from '../model/resolve-model-dir.js';
export { applySeededWeights } from '../model/seeded-weights.js';
export { loadLayersModelFromDir, saveLayersModel, TFJS_MODEL_FILE } from '../model/tfjs-files.js';
export {
  exportLayersModelToOnnx,
  layersModelToOnnxGraph,
  ONNX_INPUT_NAME,
  ONNX_OPSET,
  ONNX_OUTPUT_NAME,
} from '../onnx/export-layers-model.js';
export {
  type InferOptions,
  inferSlices,
  inferStudy,
  primarySeries,
  type SlicePrediction,
  type StudyPrediction,
} from './infer-study.js';
export { type PredictFilesOptions, type PredictReport, predictFiles } from './predict-files.js';
