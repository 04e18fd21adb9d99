/**
 * The browser-safe preprocessing surface (pure functions and types, no Node APIs): parsing, native and RLE
 * decoding, Hounsfield units, windows, resize, series assembly, batching. Re-exported by `@ich/ml/browser`.
 */
export { parseDicom, type ParseOptions } from '../dicom/parse.js';
export { TRANSFER_SYNTAXES, transferSyntaxInfo, type PixelCodec, type TransferSyntaxInfo } from '../dicom/transfer-syntax.js';
export type { DicomAttributes, ParsedDicom, PixelDataLocation, PixelFragment, RescaleAttributes, StoredArray, StoredPixels } from '../dicom/types.js';
export { checkCtEligibility, validateImageAttributes } from '../dicom/validate.js';
export { encapsulatedFrameBytes, nativeFrameBytes } from '../dicom/frames.js';
export { decodeNativeFrame } from '../decode/native.js';
export { decodeRleFrame } from '../decode/rle.js';
export { hasRsnaQuirk, toHounsfield, valueStats, type HounsfieldOptions, type ValueStats } from '../hu/to-hounsfield.js';
export { applyWindows, DEFAULT_WINDOWS, parseWindows, windowValue, type HuWindow } from '../window/windows.js';
export { planResize, resizeBilinear, type ResizePlan } from '../resize/bilinear.js';
export { assembleSeries, type AssembledSeries, type SeriesIssue, type SeriesIssueKind, type SliceGeometry } from '../series/assemble.js';
export { batchChannels, buildBatch, preprocessSlice, type BatchOptions, type HuSlice } from '../tensor/build-batch.js';
export { groupStudies, type LoadedSeries, type LoadedSlice, type LoadedStudy } from './group-studies.js';
