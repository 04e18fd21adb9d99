/**
 * Node-only entry of @ich/ml: DICOM decoding in worker threads, engines, model directories, training, synthesis.
 * It re-exports the browser-safe surface so Node callers need only one import.
 */
export * from '../browser/index.js';
export * from '../inference/node-exports.js';
export * from '../pipeline/node-exports.js';
