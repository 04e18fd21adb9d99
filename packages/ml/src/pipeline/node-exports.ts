/**
 * Node-only preprocessing: decoding compressed frames on a worker pool with time limits, file/folder loading, the
 * fused DICOM → batch path (wasm SIMD kernel), and the synthetic head-CT phantom writer. Re-exported by `@ich/ml/node`.
 */
export { type DecodeFrameOptions, decodeFrame } from '../decode/decode-frame.js';
export { closeSharedDecodePool, DecodePool, type DecodePoolOptions, sharedDecodePool } from '../decode/pool.js';
export { type DataElement, type WriteOptions, type WriterSyntax, writeDicom } from '../synth/dicom-writer.js';
export { BLEED_TYPES, type BleedSpec, type BleedType } from '../synth/phantom.js';
export {
  type SliceLabels,
  SYNTH_SYNTAXES,
  type SynthFile,
  type SynthOptions,
  type SynthStudy,
  type SynthSyntax,
  synthStudy,
} from '../synth/study.js';
export { decodeToHounsfield, type HounsfieldImage, type HounsfieldImageOptions } from './hounsfield-image.js';
export { boundedInflateRaw } from './inflate.js';
export { type LoadStudiesOptions, loadSlice, loadStudies, type RejectedFile } from './load-studies.js';
export { type PreprocessDicomOptions, preprocessDicomInto, preprocessKernel } from './preprocess-dicom.js';
