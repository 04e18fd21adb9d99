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

  it('accepts only an embedded PNG as the ROC picture', () => {
    expect(readCard(JSON.stringify({ rocImage: 'https://cdn.example/roc.png' })).rocImage).toBeNull();
    expect(readCard(JSON.stringify({ rocImage: 'data:image/png;base64,AAAA' })).rocImage).toBe(
      'data:image/png;base64,AAAA',
    );
  });
});
