import type { Label, LabelProbabilities } from '../labels.js';
import type { Aggregation } from '../model/card.js';

/**
 * Slice → study roll-up for one label. 'max' (default) flags a study when any slice is suspicious, which is what a
 * triage tool wants: a bleed often shows on only a few slices. 'mean' and 'top3-mean' trade sensitivity for
 * robustness against a single noisy slice.
 */
export function aggregate(values: readonly number[], how: Aggregation): number {
  if (values.length === 0) return 0;
  switch (how) {
    case 'max':
      return values.reduce((m, v) => (v > m ? v : m), -Infinity);
    case 'mean':
      return values.reduce((s, v) => s + v, 0) / values.length;
    case 'top3-mean': {
      const top = [...values].sort((a, b) => b - a).slice(0, 3);
      return top.reduce((s, v) => s + v, 0) / top.length;
    }
  }
}

/** Per-label study probabilities from per-slice ones (rows in slice order). */
export function aggregateStudy(
  slices: readonly LabelProbabilities[],
  labels: readonly Label[],
  how: Aggregation,
): LabelProbabilities {
  const out = {} as LabelProbabilities;
  for (const label of labels)
    out[label] = aggregate(
      slices.map((s) => s[label]),
      how,
    );
  return out;
}

/**
 * The triage flag: a study is flagged when any label reaches the model card's threshold for it. 'any' normally
 * decides; a subtype over its own threshold flags the study even when 'any' lags (the heads are trained separately).
 */
export function triageDecision(
  probabilities: LabelProbabilities,
  thresholds: LabelProbabilities,
  labels: readonly Label[],
): boolean {
  return labels.some((label) => probabilities[label] >= thresholds[label]);
}
