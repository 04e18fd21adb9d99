/**
 * Accuracy in use: how the triage flag of one model version fares against clinicians' reviews. Pure arithmetic, no
 * database: the service feeds it grouped counts from one SQL aggregate, the tests feed it constructed review sets.
 *
 * A review's verdict is the clinician's agreement with the triage flag of the prediction they were shown:
 * agree on flagged = true positive, disagree on flagged = false positive, disagree on unflagged = false negative,
 * agree on unflagged = true negative. A study without a review counts as unreviewed, never as agreement.
 */

export type Verdict = 'AGREE' | 'DISAGREE';

/** One study's outcome for the monitor: the flag the model set, and the verdict of its latest review (or none). */
export interface ReviewedCase {
  triage: boolean;
  verdict: Verdict | null;
}

/** The same, grouped: how many studies had this flag and this latest verdict (null = unreviewed). */
export interface CaseGroup extends ReviewedCase {
  count: number;
}

export interface Confusion {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  unreviewed: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

/** A proportion with its Wilson interval; estimate and interval are null for 0 of 0 (nothing to estimate from). */
export interface Proportion {
  successes: number;
  total: number;
  estimate: number | null;
  interval: Interval | null;
}

export interface Performance extends Confusion {
  reviewed: number;
  sensitivity: Proportion;
  specificity: Proportion;
  ppv: Proportion;
}

/** The two-sided 95 % standard normal quantile, Φ⁻¹(0.975), to the digits statsmodels uses. */
export const Z95 = 1.959963984540054;

/**
 * Wilson's score interval for `successes` of `total` (Wilson 1927): unlike the normal approximation it stays inside
 * [0, 1] and is not degenerate at 0 of n or n of n, which a small hospital's first weeks of reviews will often be.
 */
export function wilsonInterval(successes: number, total: number, z = Z95): Interval | null {
  if (!Number.isInteger(successes) || !Number.isInteger(total) || successes < 0 || successes > total) {
    throw new RangeError(`wilsonInterval: need integers 0 <= successes <= total, got ${successes} of ${total}`);
  }
  if (total === 0) return null;
  const p = successes / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  // Clamp rounding at the ends: 0 of n has a lower bound of exactly 0, n of n an upper bound of exactly 1.
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

export function proportion(successes: number, total: number): Proportion {
  return {
    successes,
    total,
    estimate: total === 0 ? null : successes / total,
    interval: wilsonInterval(successes, total),
  };
}

export function tally(groups: Iterable<CaseGroup>): Confusion {
  const c: Confusion = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0, unreviewed: 0 };
  for (const g of groups) {
    if (!Number.isInteger(g.count) || g.count < 0) throw new RangeError(`tally: bad count ${g.count}`);
    if (g.verdict === null) c.unreviewed += g.count;
    else if (g.triage && g.verdict === 'AGREE') c.truePositives += g.count;
    else if (g.triage) c.falsePositives += g.count;
    else if (g.verdict === 'DISAGREE') c.falseNegatives += g.count;
    else c.trueNegatives += g.count;
  }
  return c;
}

export function tallyCases(cases: Iterable<ReviewedCase>): Confusion {
  return tally([...cases].map((c) => ({ ...c, count: 1 })));
}

export function performanceOf(c: Confusion): Performance {
  const tp = c.truePositives;
  const fp = c.falsePositives;
  const fn = c.falseNegatives;
  const tn = c.trueNegatives;
  return {
    ...c,
    reviewed: tp + fp + fn + tn,
    sensitivity: proportion(tp, tp + fn),
    specificity: proportion(tn, tn + fp),
    ppv: proportion(tp, tp + fp),
  };
}

export type TargetMetric = 'sensitivity' | 'specificity';

export interface Targets {
  sensitivity: number;
  specificity: number;
}

export interface Alert {
  metric: TargetMetric;
  target: number;
  /** The Wilson lower bound that fell under the target. */
  lowerBound: number;
  estimate: number;
  successes: number;
  total: number;
}

export interface TargetCheck {
  metric: TargetMetric;
  target: number;
  /** Reviews in the metric's denominator needed before its lower bound can say anything (see minimumReviews). */
  minimumReviews: number | null;
  total: number;
  /** false while there are fewer than minimumReviews: the lower bound is then under the target by construction. */
  armed: boolean;
  firing: boolean;
}

/**
 * The fewest cases n for which a flawless record (n of n) has a Wilson lower bound at or above `target`. With fewer,
 * even perfect agreement leaves the lower bound under the target, so an alert would fire on every new model version
 * and mean nothing. n of n has lower bound n / (n + z²), so n ≥ target·z² / (1 − target). A target of 1 can never be
 * shown (null: the alert is never armed).
 */
export function minimumReviews(target: number, z = Z95): number | null {
  if (!(target >= 0 && target <= 1)) throw new RangeError(`minimumReviews: target ${target} is not in [0, 1]`);
  if (target === 1) return null;
  let n = Math.max(1, Math.ceil((target * z * z) / (1 - target)));
  // Guard the closed form against rounding at the boundary: step until the bound really clears the target.
  while ((wilsonInterval(n, n, z)?.lower ?? 0) < target) n += 1;
  while (n > 1 && (wilsonInterval(n - 1, n - 1, z)?.lower ?? 0) >= target) n -= 1;
  return n;
}

/**
 * The alert rule: for each declared target (sensitivity, specificity), the alert fires when the metric's denominator
 * has reached minimumReviews(target) and its Wilson 95 % lower bound is under the target, that is, when the reviews
 * are numerous enough to show the model meeting its target and they do not.
 */
export function checkTargets(performance: Performance, targets: Targets | null | undefined): TargetCheck[] {
  if (!targets) return [];
  return (['sensitivity', 'specificity'] as const).map((metric) => {
    const p = performance[metric];
    const target = targets[metric];
    const needed = minimumReviews(target);
    const armed = needed !== null && p.total >= needed;
    const firing = armed && p.interval !== null && p.interval.lower < target;
    return { metric, target, minimumReviews: needed, total: p.total, armed, firing };
  });
}

export function alertsOf(performance: Performance, targets: Targets | null | undefined): Alert[] {
  return checkTargets(performance, targets)
    .filter((c) => c.firing)
    .map((c) => {
      const p = performance[c.metric];
      return {
        metric: c.metric,
        target: c.target,
        lowerBound: p.interval?.lower ?? 0,
        estimate: p.estimate ?? 0,
        successes: p.successes,
        total: p.total,
      };
    });
}
