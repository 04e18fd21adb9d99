/**
 * The browser-safe preprocessing surface (pure functions and types, no Node APIs): parsing, native and RLE
 * decoding, Hounsfield units, windows, resize, series assembly, batching (the JavaScript kernel; the tfjs ops). Re-exported by `@ich/ml/browser`.
 */

export { decodeNativeFrame } from '../decode/native.js';
export { decodeRleFrame } from '../decode/rle.js';
export { encapsulatedFrameBytes, nativeFrameBytes } from '../dicom/frames.js';
export { type ParseOptions, parseDicom } from '../dicom/parse.js';
export { TagKey } from '../dicom/tags.js';
export {
  type PixelCodec,
  TRANSFER_SYNTAXES,
  type TransferSyntaxInfo,
  transferSyntaxInfo,
} from '../dicom/transfer-syntax.js';
export type {
  DicomAttributes,
  ParsedDicom,
  PixelDataLocation,
  PixelFragment,
  RescaleAttributes,
  StoredArray,
  StoredPixels,
} from '../dicom/types.js';
export { checkCtEligibility, validateImageAttributes } from '../dicom/validate.js';
export {
  type HounsfieldOptions,
  hasRsnaQuirk,
  toHounsfield,
  type ValueStats,
  valueStats,
} from '../hu/to-hounsfield.js';
export { planResize, type ResizePlan, resizeBilinear } from '../resize/bilinear.js';
export {
  type AssembledSeries,
  assembleSeries,
  type SeriesIssue,
  type SeriesIssueKind,
  type SliceGeometry,
} from '../series/assemble.js';
export { type BatchOptions, batchChannels, buildBatch, type HuSlice, preprocessSlice } from '../tensor/build-batch.js';
export { huInt16 } from '../tensor/hu-int16.js';
export { preprocessTensor } from '../tensor/preprocess-tfjs.js';
export {
  cachedResizePlan,
  type HuPlane,
  huPlane,
  resizeWindowInto,
  type StoredHuPlane,
} from '../tensor/resize-window.js';
export { applyWindows, DEFAULT_WINDOWS, type HuWindow, parseWindows, windowValue } from '../window/windows.js';
export { groupStudies, type LoadedSeries, type LoadedSlice, type LoadedStudy } from './group-studies.js';
