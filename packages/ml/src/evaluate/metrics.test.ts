import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binaryLogLoss,
  labelLogLoss,
  operatingPoint,
  rocAuc,
  type Scored,
  thresholdForSensitivity,
  weightedLogLoss,
} from './metrics.js';

interface Case {
  name: string;
  truth: number[][];
  probability: number[][];
  weightedLogLoss: number;
  labelLogLoss: number[];
  auc: (number | null)[];
}

// Made by fixtures/make-sklearn-fixtures.py with Debian's python3-sklearn (log_loss, roc_auc_score).
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/sklearn-metrics.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

const rowsOf = (c: Case): Scored[] => c.truth.map((truth, i) => ({ truth, probability: c.probability[i]! }));

describe('competition metric against scikit-learn', () => {
  it('has the cases the issue asks for', () => {
    expect(fixtures.cases.map((c) => c.name)).toEqual([
      'random',
      'clipping',
      'single-class-columns',
      'all-zero',
      'ties',
    ]);
  });
  for (const c of fixtures.cases) {
    it(`${c.name}: weighted log loss, per-label log loss and AUC`, () => {
      const rows = rowsOf(c);
      expect(weightedLogLoss(rows)).toBeCloseTo(c.weightedLogLoss, 10);
      c.labelLogLoss.forEach((expected, k) => {
        expect(labelLogLoss(rows, k)).toBeCloseTo(expected, 10);
      });
      c.auc.forEach((expected, k) => {
        const auc = rocAuc(
          rows.map((r) => r.truth[k]!),
          rows.map((r) => r.probability[k]!),
        );
        if (expected === null) expect(auc).toBeNull();
        else expect(auc).toBeCloseTo(expected, 12);
      });
    });
  }
});

describe('metric details', () => {
  it('clips certain mistakes to -log(1e-15)', () => {
    expect(binaryLogLoss(1, 0)).toBeCloseTo(-Math.log(1e-15), 9);
    // 1 − 1e-15 is not exact in binary64; the loss is −log(1 − (1 − 1e-15)), as in scikit-learn.
    expect(binaryLogLoss(0, 1)).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 9);
    expect(binaryLogLoss(1, 1)).toBeLessThan(1e-14);
  });

  it("weighs 'any' twice: a miss on 'any' alone costs 2/7 of the clipped loss", () => {
    const loss = weightedLogLoss([{ truth: [1, 0, 0, 0, 0, 0], probability: [0, 0, 0, 0, 0, 0] }]);
    expect(loss).toBeCloseTo((2 / 7) * -Math.log(1e-15), 9);
  });

  it('operating point counts scores at the threshold as positive', () => {
    const p = operatingPoint([1, 1, 0, 0], [0.5, 0.4, 0.5, 0.1], 0.5);
    expect(p).toMatchObject({ truePositives: 1, falseNegatives: 1, falsePositives: 1, trueNegatives: 1 });
    expect(p.sensitivity).toBe(0.5);
    expect(p.specificity).toBe(0.5);
  });

  it('finds the highest threshold reaching 95% sensitivity', () => {
    const truth = Array.from({ length: 40 }, (_, i) => (i < 20 ? 1 : 0));
    const score = truth.map((t, i) => (t ? 0.5 + i / 100 : i / 100 - 0.2));
    const p = thresholdForSensitivity(truth, score, 0.95)!;
    // 19 of 20 positives are ≥ 0.51; the specificity at that threshold is 1.
    expect(p.threshold).toBeCloseTo(0.51, 12);
    expect(p.sensitivity).toBe(0.95);
    expect(p.specificity).toBe(1);
    expect(thresholdForSensitivity([0, 0], [0.1, 0.2])).toBeNull();
  });
});
