import { LABELS } from '@ich/ml/browser';
import { Prisma } from '@ich/prisma';
import { isEnumType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { HEMORRHAGE_LABELS, parseLabels, storedLabel } from '../services/labels.js';
import { buildSchema } from './schema.js';

// One label vocabulary: the model's output order (@ich/ml LABELS) is the source; the GraphQL enum, the prediction
// types and the database columns must name exactly the same labels.
describe('the label vocabulary', () => {
  const schema = buildSchema();

  it('derives the subtypes from the model labels, without "any"', () => {
    expect(HEMORRHAGE_LABELS).toEqual(['EPIDURAL', 'INTRAPARENCHYMAL', 'INTRAVENTRICULAR', 'SUBARACHNOID', 'SUBDURAL']);
    expect(LABELS[0]).toBe('any');
  });

  it('is the GraphQL HemorrhageLabel enum', () => {
    const type = schema.getType('HemorrhageLabel');
    expect(isEnumType(type)).toBe(true);
    if (!isEnumType(type)) return;
    expect(type.getValues().map((v) => v.name)).toEqual([...HEMORRHAGE_LABELS]);
  });

  it.each(['StudyPrediction', 'SlicePrediction'])('is a Float field of GraphQL %s for every label', (name) => {
    const type = schema.getType(name);
    expect(isObjectType(type)).toBe(true);
    if (!isObjectType(type)) return;
    const fields = type.getFields();
    for (const label of LABELS) expect(String(fields[label]?.type), label).toBe('Float!');
  });

  it('is a column of the StudyPrediction and SlicePrediction tables for every label', () => {
    for (const label of LABELS) {
      expect(Object.keys(Prisma.StudyPredictionScalarFieldEnum), label).toContain(label);
      expect(Object.keys(Prisma.SlicePredictionScalarFieldEnum), label).toContain(label);
    }
  });

  it('round-trips through the stored positiveLabels text', () => {
    expect(parseLabels(HEMORRHAGE_LABELS.map(storedLabel).join(' '))).toEqual([...HEMORRHAGE_LABELS]);
    expect(parseLabels('subdural,epidural unknown')).toEqual(['EPIDURAL', 'SUBDURAL']);
  });
});
