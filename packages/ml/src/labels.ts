/**
 * The six RSNA 2019 labels, in the order the model emits them. 'any' comes first: it is the triage signal and
 * carries weight 2 in the competition's log loss.
 */
export const LABELS = ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'] as const;

export type Label = (typeof LABELS)[number];

/** Probabilities keyed by label; every label is always present. */
export type LabelProbabilities = Record<Label, number>;

export function isLabel(value: unknown): value is Label {
  return typeof value === 'string' && (LABELS as readonly string[]).includes(value);
}
