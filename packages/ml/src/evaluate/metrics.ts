import { LABELS, type Label } from '../labels.js';

/**
 * The RSNA 2019 Intracranial Hemorrhage competition metric and the figures a triage reader asks for next (AUC,
 * sensitivity/specificity at a threshold). Pure functions over plain arrays, so the trainer, `ich-ml evaluate` and
 * the tests share one definition.
 */

/** Probabilities are clipped to [EPS, 1 − EPS] before the logarithm, as in the competition's scorer. */
export const LOG_LOSS_EPS = 1e-15;

/** Competition weights in LABELS order: 'any' counts twice, each subtype once. */
export const LABEL_WEIGHTS: Readonly<Record<Label, number>> = {
  any: 2,
  epidural: 1,
  intraparenchymal: 1,
  intraventricular: 1,
  subarachnoid: 1,
  subdural: 1,
};

/** One image (or one study): truth (0/1) and probability per label, in LABELS order. */
export interface Scored {
  readonly truth: ArrayLike<number>;
  readonly probability: ArrayLike<number>;
}

export function clipProbability(p: number): number {
  return p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p;
}

/** Binary cross-entropy of one probability against a 0/1 truth, clipped. */
export function binaryLogLoss(truth: number, probability: number): number {
  const p = clipProbability(probability);
  return -(truth * Math.log(p) + (1 - truth) * Math.log(1 - p));
}

/**
 * The competition metric: for each image the weighted mean of its six binary log losses (weights from
 * LABEL_WEIGHTS), then the plain mean over images. Since every image carries the same total weight this equals
 * scikit-learn's `log_loss` over all (image, label) pairs with those sample weights.
 */
export function weightedLogLoss(rows: readonly Scored[], labels: readonly Label[] = LABELS): number {
  if (rows.length === 0) return Number.NaN;
  const weights = labels.map((l) => LABEL_WEIGHTS[l]);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (const row of rows) {
    let image = 0;
    for (let k = 0; k < labels.length; k++) image += weights[k]! * binaryLogLoss(row.truth[k]!, row.probability[k]!);
    sum += image / totalWeight;
  }
  return sum / rows.length;
}

/** Mean binary log loss of one label (column k). */
export function labelLogLoss(rows: readonly Scored[], k: number): number {
  if (rows.length === 0) return Number.NaN;
  let sum = 0;
  for (const row of rows) sum += binaryLogLoss(row.truth[k]!, row.probability[k]!);
  return sum / rows.length;
}

/** One point of a ROC curve: predictions ≥ threshold are positive. */
export interface RocPoint {
  readonly threshold: number;
  readonly tpr: number;
  readonly fpr: number;
}

/**
 * ROC curve over the distinct scores (highest first), starting at (0, 0) with threshold +∞ like scikit-learn's
 * `roc_curve(drop_intermediate=False)`. Null when the truth has only one class (the curve is undefined).
 */
export function rocCurve(truth: ArrayLike<number>, score: ArrayLike<number>): RocPoint[] | null {
  const n = truth.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += truth[i]! > 0.5 ? 1 : 0;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    if (truth[j]! > 0.5) tp++;
    else fp++;
    // Tied scores form one step: emit a point only after the last of a run of equal scores.
    if (i + 1 < n && score[order[i + 1]!] === score[j]) continue;
    points.push({ threshold: score[j]!, tpr: tp / positives, fpr: fp / negatives });
  }
  return points;
}

/** Area under the ROC curve (trapezoids, so ties count one half, as in scikit-learn). Null for one class. */
export function rocAuc(truth: ArrayLike<number>, score: ArrayLike<number>): number | null {
  const curve = rocCurve(truth, score);
  if (!curve) return null;
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
  }
  return area;
}

export interface OperatingPoint {
  readonly threshold: number;
  /** Null when there is no positive (sensitivity) or no negative (specificity) to count. */
  readonly sensitivity: number | null;
  readonly specificity: number | null;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

/** Sensitivity and specificity when scores ≥ threshold are called positive (the card's triage rule). */
export function operatingPoint(truth: ArrayLike<number>, score: ArrayLike<number>, threshold: number): OperatingPoint {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const positive = truth[i]! > 0.5;
    const called = score[i]! >= threshold;
    if (positive && called) tp++;
    else if (positive) fn++;
    else if (called) fp++;
    else tn++;
  }
  return {
    threshold,
    sensitivity: tp + fn > 0 ? tp / (tp + fn) : null,
    specificity: tn + fp > 0 ? tn / (tn + fp) : null,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
  };
}

/**
 * The highest threshold whose sensitivity reaches `target` (0.95 by default): the most specific operating point
 * that still misses at most 5% of positives. Null when there are no positives.
 */
export function thresholdForSensitivity(
  truth: ArrayLike<number>,
  score: ArrayLike<number>,
  target = 0.95,
): OperatingPoint | null {
  const curve = rocCurve(truth, score);
  if (curve) {
    const point = curve.find((p) => p.tpr >= target - 1e-12);
    return point ? operatingPoint(truth, score, point.threshold) : null;
  }
  // One class only: with positives alone any threshold at or below the lowest score reaches 100%.
  let positives = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < truth.length; i++)
    if (truth[i]! > 0.5) {
      positives++;
      lowest = Math.min(lowest, score[i]!);
    }
  return positives > 0 ? operatingPoint(truth, score, lowest) : null;
}

/** Column k of the rows as a Float64Array (truth or probability). */
export function column(rows: readonly Scored[], k: number, what: 'truth' | 'probability'): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i]![what][k]!;
  return out;
}
