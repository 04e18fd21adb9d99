/**
 * Node-only preprocessing: decoding compressed frames on a worker pool with time limits, file/folder loading, and
 * the synthetic head-CT phantom writer. Re-exported by `@ich/ml/node`.
 */
export { decodeFrame, type DecodeFrameOptions } from '../decode/decode-frame.js';
export { closeSharedDecodePool, DecodePool, sharedDecodePool, type DecodePoolOptions } from '../decode/pool.js';
export { decodeToHounsfield, type HounsfieldImage, type HounsfieldImageOptions } from './hounsfield-image.js';
export { boundedInflateRaw } from './inflate.js';
export { loadSlice, loadStudies, type LoadStudiesOptions, type RejectedFile } from './load-studies.js';
export { synthStudy, SYNTH_SYNTAXES, type SliceLabels, type SynthFile, type SynthOptions, type SynthStudy, type SynthSyntax } from '../synth/study.js';
export { BLEED_TYPES, type BleedSpec, type BleedType } from '../synth/phantom.js';
export { writeDicom, type DataElement, type WriteOptions, type WriterSyntax } from '../synth/dicom-writer.js';
