/**
 * Browser-safe entry of @ich/ml: pure functions and types only (no Node APIs, no native modules).
 * The web app imports `@ich/ml/browser`; Node code imports `@ich/ml/node`, which re-exports this too.
 */

export * from '../inference/browser-exports.js';
export { isLabel, LABELS, type Label, type LabelProbabilities } from '../labels.js';
export * from '../pipeline/browser-exports.js';
