import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alertsOf,
  checkTargets,
  minimumReviews,
  performanceOf,
  type ReviewedCase,
  tally,
  tallyCases,
  wilsonInterval,
} from './accuracy.js';

interface ReferenceProportion {
  successes: number;
  total: number;
  estimate: number;
  lower: number;
  upper: number;
}
interface ReferenceCase {
  name: string;
  counts: { tp: number; fp: number; fn: number; tn: number; unreviewed: number };
  sensitivity: ReferenceProportion | null;
  specificity: ReferenceProportion | null;
  ppv: ReferenceProportion | null;
}

// Made by fixtures/make-wilson-reference.py with Debian's python3-statsmodels; see the script for how to rerun it.
const reference = JSON.parse(readFileSync(new URL('./fixtures/wilson-reference.json', import.meta.url), 'utf8')) as {
  generator: string;
  cases: ReferenceCase[];
};

/** A review set as the clinicians would leave it, shuffled so no test leans on the order. */
function reviewSet({ tp, fp, fn, tn, unreviewed }: ReferenceCase['counts']): ReviewedCase[] {
  const cases: ReviewedCase[] = [
    ...Array.from({ length: tp }, () => ({ triage: true, verdict: 'AGREE' as const })),
    ...Array.from({ length: fp }, () => ({ triage: true, verdict: 'DISAGREE' as const })),
    ...Array.from({ length: fn }, () => ({ triage: false, verdict: 'DISAGREE' as const })),
    ...Array.from({ length: tn }, () => ({ triage: false, verdict: 'AGREE' as const })),
    ...Array.from({ length: unreviewed }, (_, i) => ({ triage: i % 2 === 0, verdict: null })),
  ];
  let seed = 12345;
  for (let i = cases.length - 1; i > 0; i -= 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [cases[i], cases[j]] = [cases[j]!, cases[i]!];
  }
  return cases;
}

describe('accuracy in use against statsmodels', () => {
  it('has reference cases covering 0 of 0, 0 of n and n of n', () => {
    const all = reference.cases.flatMap((c) => [c.sensitivity, c.specificity, c.ppv]);
    expect(all.some((p) => p === null)).toBe(true);
    expect(all.some((p) => p !== null && p.successes === 0 && p.total > 0)).toBe(true);
    expect(all.some((p) => p !== null && p.successes === p.total && p.total > 0)).toBe(true);
  });

  it.each(reference.cases.map((c) => [c.name, c] as const))('%s', (_name, ref) => {
    const perf = performanceOf(tallyCases(reviewSet(ref.counts)));
    expect(perf).toMatchObject({
      truePositives: ref.counts.tp,
      falsePositives: ref.counts.fp,
      falseNegatives: ref.counts.fn,
      trueNegatives: ref.counts.tn,
      unreviewed: ref.counts.unreviewed,
      reviewed: ref.counts.tp + ref.counts.fp + ref.counts.fn + ref.counts.tn,
    });
    for (const metric of ['sensitivity', 'specificity', 'ppv'] as const) {
      const want = ref[metric];
      const got = perf[metric];
      if (want === null) {
        expect(got.estimate, metric).toBeNull();
        expect(got.interval, metric).toBeNull();
        continue;
      }
      expect(got.successes, metric).toBe(want.successes);
      expect(got.total, metric).toBe(want.total);
      expect(got.estimate, metric).toBeCloseTo(want.estimate, 12);
      expect(got.interval?.lower, metric).toBeCloseTo(want.lower, 12);
      expect(got.interval?.upper, metric).toBeCloseTo(want.upper, 12);
    }
  });
});

describe('wilsonInterval', () => {
  it('is exact at the ends and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(0, 8)?.lower).toBe(0);
    expect(wilsonInterval(8, 8)?.upper).toBe(1);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, 2)).toThrow(RangeError);
  });
});

describe('tally', () => {
  it('maps flag × verdict to the confusion cells and keeps unreviewed studies apart', () => {
    expect(
      tally([
        { triage: true, verdict: 'AGREE', count: 5 },
        { triage: true, verdict: 'DISAGREE', count: 2 },
        { triage: false, verdict: 'DISAGREE', count: 1 },
        { triage: false, verdict: 'AGREE', count: 30 },
        { triage: true, verdict: null, count: 4 },
        { triage: false, verdict: null, count: 6 },
      ]),
    ).toEqual({ truePositives: 5, falsePositives: 2, falseNegatives: 1, trueNegatives: 30, unreviewed: 10 });
  });
});

describe('the alert rule', () => {
  it('needs enough reviews that a flawless record would clear the target', () => {
    // n of n has lower bound n / (n + z²): 34 of 34 is 0.8985, 35 of 35 is 0.9011.
    expect(minimumReviews(0.9)).toBe(35);
    expect(wilsonInterval(34, 34)!.lower).toBeLessThan(0.9);
    expect(wilsonInterval(35, 35)!.lower).toBeGreaterThanOrEqual(0.9);
    expect(minimumReviews(0.95)).toBe(73);
    expect(minimumReviews(1)).toBeNull();
    expect(() => minimumReviews(1.2)).toThrow(RangeError);
  });

  const targets = { sensitivity: 0.9, specificity: 0.8 };
  const perf = (tp: number, fn: number, tn: number, fp: number) =>
    performanceOf({ truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn, unreviewed: 0 });

  it('stays quiet with too few reviews, even when they all disagree', () => {
    expect(alertsOf(perf(0, 34, 0, 0), targets)).toEqual([]);
    expect(checkTargets(perf(0, 34, 0, 0), targets)[0]).toMatchObject({ armed: false, firing: false, total: 34 });
  });

  it('fires once armed and the lower bound is under the target, and only for that metric', () => {
    // Sensitivity 40 of 45 (0.889, lower 0.765) < 0.9; specificity 95 of 100 (lower 0.888) ≥ 0.8.
    const alerts = alertsOf(perf(40, 5, 95, 5), targets);
    expect(alerts).toEqual([
      {
        metric: 'sensitivity',
        target: 0.9,
        lowerBound: wilsonInterval(40, 45)!.lower,
        estimate: 40 / 45,
        successes: 40,
        total: 45,
      },
    ]);
  });

  it('does not fire when the lower bound clears the target', () => {
    expect(alertsOf(perf(200, 2, 95, 5), targets)).toEqual([]);
  });

  it('has nothing to check without declared targets', () => {
    expect(alertsOf(perf(0, 100, 0, 100), undefined)).toEqual([]);
    expect(checkTargets(perf(0, 100, 0, 100), null)).toEqual([]);
  });
});
