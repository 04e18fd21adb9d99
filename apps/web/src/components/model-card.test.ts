import { describe, expect, it } from 'vitest';
import { readCard } from './model-card';

describe('readCard', () => {
  it('takes status, thresholds and metrics from the card', () => {
    const card = readCard(
      JSON.stringify({ status: 'untrained', thresholds: { any: 0.5, subdural: 0.4 }, metrics: { auc: 0.5, x: 'no' } }),
    );
    expect(card.status).toBe('untrained');
    expect(card.statusLabel).toMatch(/untrained/);
    expect(card.thresholds).toEqual({ any: 0.5, subdural: 0.4 });
    expect(card.metrics).toEqual({ auc: 0.5 });
  });

  it('never claims a model is trained when the card does not say so', () => {
    expect(readCard('not json').status).toBe('unknown');
    expect(readCard(JSON.stringify({ status: 'great' })).status).toBe('unknown');
    expect(readCard(JSON.stringify({ status: 'synthetic' })).statusLabel).toMatch(/synthetic/);
  });

  it('shows a model trained on synthetic phantoms as such, and not for clinical use, from its card', () => {
    const demo = readCard(
      JSON.stringify({
        status: 'trained',
        trainingData: 'synthetic phantoms from ich-ml synth (seed demo-train-512, 120 studies)',
        intendedUse: 'Demonstration of the triage pipeline on synthetic phantoms. Not for clinical use.',
      }),
    );
    expect(demo.status).toBe('synthetic');
    expect(demo.statusLabel).toMatch(/synthetic phantoms/);
    expect(demo.notForClinicalUse).toBe(true);
    const real = readCard(JSON.stringify({ status: 'trained', trainingData: 'RSNA 2019', intendedUse: 'Triage.' }));
    expect(real.status).toBe('trained');
    expect(real.notForClinicalUse).toBe(false);
    expect(readCard(JSON.stringify({ status: 'untrained' })).notForClinicalUse).toBe(true);
  });

  it('accepts only an embedded PNG as the ROC picture', () => {
    expect(readCard(JSON.stringify({ rocImage: 'https://cdn.example/roc.png' })).rocImage).toBeNull();
    expect(readCard(JSON.stringify({ rocImage: 'data:image/png;base64,AAAA' })).rocImage).toBe(
      'data:image/png;base64,AAAA',
    );
  });
});
