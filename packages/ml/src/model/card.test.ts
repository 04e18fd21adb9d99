import { describe, expect, it } from 'vitest';
import { MODEL_CARD_FORMAT, parseModelCard } from './card.js';

/** A card as a version written before `targets` existed would carry it. */
const OLD_CARD = {
  format: MODEL_CARD_FORMAT,
  name: 'ich-inceptionv3',
  version: '0.1.0',
  status: 'trained',
  createdAt: '2026-11-01T00:00:00.000Z',
  architecture: {
    base: 'InceptionV3',
    denseUnits: 64,
    dropout: 0.3,
    baseParameters: 21_802_784,
    totalParameters: 21_933_862,
  },
  inputSize: 299,
  windows: [{ name: 'brain', center: 40, width: 80 }],
  contextSlices: 1,
  labels: ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'],
  thresholds: {
    any: 0.5,
    epidural: 0.5,
    intraparenchymal: 0.5,
    intraventricular: 0.5,
    subarachnoid: 0.5,
    subdural: 0.5,
  },
  aggregation: 'max',
  trainingData: 'synthetic phantoms',
  metrics: null,
  intendedUse: 'demonstration',
  limitations: [],
  weightsHash: `sha256:${'0'.repeat(64)}`,
  files: { tfjs: 'model.json', onnx: null },
};

describe('model card targets', () => {
  it('keeps a card without targets valid and without the field', () => {
    const card = parseModelCard(OLD_CARD);
    expect(card).not.toHaveProperty('targets');
  });

  it('reads declared targets', () => {
    const card = parseModelCard({ ...OLD_CARD, targets: { sensitivity: 0.9, specificity: 0.8 } });
    expect(card.targets).toEqual({ sensitivity: 0.9, specificity: 0.8 });
  });

  it('names the bad target', () => {
    expect(() => parseModelCard({ ...OLD_CARD, targets: { sensitivity: 1.5, specificity: 0.8 } })).toThrow(
      /"targets.sensitivity" must be a proportion in \[0, 1\]/,
    );
    expect(() => parseModelCard({ ...OLD_CARD, targets: { sensitivity: 0.9 } })).toThrow(/"targets.specificity"/);
    expect(() => parseModelCard({ ...OLD_CARD, targets: null })).toThrow(/"targets" must be an object/);
    expect(() => parseModelCard({ ...OLD_CARD, targets: [0.9, 0.8] })).toThrow(/"targets" must be an object/);
  });
});
