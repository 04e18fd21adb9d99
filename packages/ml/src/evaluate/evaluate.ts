import { AppError } from '@ich/errors';
import { aggregate } from '../inference/aggregate.js';
import { LABELS, type Label, type LabelProbabilities } from '../labels.js';
import type { Aggregation } from '../model/card.js';
import { renderLineChart, type Series } from '../plot/line-chart.js';
import {
  column,
  labelLogLoss,
  type OperatingPoint,
  operatingPoint,
  rocAuc,
  rocCurve,
  type Scored,
  thresholdForSensitivity,
  weightedLogLoss,
} from './metrics.js';

/** One image with its truth, its prediction and (when known) its study. */
export interface EvaluatedImage extends Scored {
  readonly id: string;
  readonly study?: string;
}

export interface LabelFigures {
  readonly positives: number;
  readonly negatives: number;
  readonly logLoss: number;
  /** Null when only one class occurs. */
  readonly auc: number | null;
  readonly atThreshold: OperatingPoint;
  /** The highest threshold that reaches 95% sensitivity; null without positives. */
  readonly at95Sensitivity: OperatingPoint | null;
}

export interface EvaluationReport {
  readonly images: number;
  /** The competition metric over images. */
  readonly weightedLogLoss: number;
  /** The same metric for a constant prediction of each label's prevalence in this set: the bar to beat. */
  readonly baselineWeightedLogLoss: number;
  readonly thresholds: LabelProbabilities;
  readonly thresholdSource: string;
  readonly labels: Record<Label, LabelFigures>;
  /** Study-level figures (truth: any slice positive; prediction: the card's roll-up). Null without study IDs. */
  readonly study: {
    readonly studies: number;
    readonly aggregation: Aggregation;
    readonly weightedLogLoss: number;
    readonly labels: Record<Label, LabelFigures>;
    /** The triage flag (any label at or above its threshold) against "study has any bleed". */
    readonly triage: OperatingPoint;
  } | null;
}

export interface EvaluateOptions {
  readonly thresholds: LabelProbabilities;
  readonly thresholdSource: string;
  readonly aggregation: Aggregation;
}

export function evaluateImages(images: readonly EvaluatedImage[], options: EvaluateOptions): EvaluationReport {
  if (images.length === 0) throw new AppError('BAD_USER_INPUT', 'no image has both a label and a prediction');
  const prevalence = LABELS.map((_, k) => column(images, k, 'truth').reduce((a, b) => a + b, 0) / images.length);
  const baseline = weightedLogLoss(images.map((im) => ({ truth: im.truth, probability: prevalence })));

  const withStudy = images.filter((im) => im.study !== undefined);
  let study: EvaluationReport['study'] = null;
  if (withStudy.length === images.length) {
    const byStudy = new Map<string, EvaluatedImage[]>();
    for (const im of images) {
      const list = byStudy.get(im.study!) ?? [];
      list.push(im);
      byStudy.set(im.study!, list);
    }
    const studies: Scored[] = [...byStudy.values()].map((list) => ({
      truth: LABELS.map((_, k) => Math.max(...list.map((im) => im.truth[k]!))),
      probability: LABELS.map((_, k) =>
        aggregate(
          list.map((im) => im.probability[k]!),
          options.aggregation,
        ),
      ),
    }));
    const anyTruth = studies.map((s) => (LABELS.some((_, k) => s.truth[k]! > 0.5) ? 1 : 0));
    const flagged = studies.map((s) => (LABELS.some((l, k) => s.probability[k]! >= options.thresholds[l]) ? 1 : 0));
    study = {
      studies: studies.length,
      aggregation: options.aggregation,
      weightedLogLoss: weightedLogLoss(studies),
      labels: figuresPerLabel(studies, options.thresholds),
      triage: operatingPoint(anyTruth, flagged, 0.5),
    };
  }

  return {
    images: images.length,
    weightedLogLoss: weightedLogLoss(images),
    baselineWeightedLogLoss: baseline,
    thresholds: options.thresholds,
    thresholdSource: options.thresholdSource,
    labels: figuresPerLabel(images, options.thresholds),
    study,
  };
}

function figuresPerLabel(rows: readonly Scored[], thresholds: LabelProbabilities): Record<Label, LabelFigures> {
  const out = {} as Record<Label, LabelFigures>;
  LABELS.forEach((label, k) => {
    const truth = column(rows, k, 'truth');
    const score = column(rows, k, 'probability');
    const positives = truth.reduce((a, b) => a + b, 0);
    out[label] = {
      positives,
      negatives: rows.length - positives,
      logLoss: labelLogLoss(rows, k),
      auc: rocAuc(truth, score),
      atThreshold: operatingPoint(truth, score, thresholds[label]),
      at95Sensitivity: thresholdForSensitivity(truth, score, 0.95),
    };
  });
  return out;
}

/** ROC curves of every label with both classes present, image level, as a PNG. */
export function rocPng(images: readonly Scored[], title = 'ROC (image level)'): Buffer {
  const series: Series[] = [
    {
      name: 'chance',
      reference: true,
      points: [
        [0, 0],
        [1, 1],
      ],
    },
  ];
  LABELS.forEach((label, k) => {
    const truth = column(images, k, 'truth');
    const score = column(images, k, 'probability');
    const curve = rocCurve(truth, score);
    const auc = rocAuc(truth, score);
    if (curve && auc !== null)
      series.push({ name: `${label.slice(0, 10)} ${auc.toFixed(3)}`, points: curve.map((p) => [p.fpr, p.tpr]) });
  });
  return renderLineChart(series, {
    title,
    xLabel: '1 - specificity (FPR)',
    yLabel: 'sensitivity (TPR)',
    x: [0, 1],
    y: [0, 1],
    legend: 'bottom',
  });
}

/** A short human-readable summary of a report (the CLI's default output). */
export function formatReport(report: EvaluationReport): string {
  const pct = (v: number | null | undefined): string =>
    v === null || v === undefined ? '   -  ' : `${(v * 100).toFixed(1).padStart(5)}%`;
  const num = (v: number | null): string => (v === null ? '  -   ' : v.toFixed(4));
  const lines = [
    `images ${report.images}   weighted log loss ${report.weightedLogLoss.toFixed(4)}   (constant-prevalence baseline ${report.baselineWeightedLogLoss.toFixed(4)})`,
    `thresholds from ${report.thresholdSource}`,
    '',
    'label              pos  logloss   AUC     sens@thr  spec@thr | thr@95%sens  spec',
  ];
  for (const label of LABELS) {
    const f = report.labels[label];
    lines.push(
      `${label.padEnd(17)}${String(f.positives).padStart(5)}  ${f.logLoss.toFixed(4)}  ${num(f.auc)}  ${pct(f.atThreshold.sensitivity)}   ${pct(f.atThreshold.specificity)}  | ${f.at95Sensitivity ? f.at95Sensitivity.threshold.toFixed(4).padStart(10) : '         -'}  ${pct(f.at95Sensitivity?.specificity)}`,
    );
  }
  if (report.study) {
    const s = report.study;
    lines.push(
      '',
      `studies ${s.studies} (${s.aggregation} roll-up)   weighted log loss ${s.weightedLogLoss.toFixed(4)}   'any' AUC ${num(s.labels.any.auc)}`,
      `triage flag: sensitivity ${pct(s.triage.sensitivity)}  specificity ${pct(s.triage.specificity)}  (TP ${s.triage.truePositives}, FN ${s.triage.falseNegatives}, FP ${s.triage.falsePositives}, TN ${s.triage.trueNegatives})`,
    );
  } else
    lines.push('', 'study-level figures need study IDs (a wide labels CSV with studyInstanceUid, or --model/--data)');
  return `${lines.join('\n')}\n`;
}
