/** The five subtypes, as the GraphQL enum names them and as Study.positiveLabels stores them (lower case). */
export const HEMORRHAGE_LABELS = [
  'EPIDURAL',
  'INTRAPARENCHYMAL',
  'INTRAVENTRICULAR',
  'SUBARACHNOID',
  'SUBDURAL',
] as const;

export type HemorrhageLabel = (typeof HEMORRHAGE_LABELS)[number];

/**
 * Study.positiveLabels is denormalised text (no scalar lists on SQLite): the predicted-positive subtypes, lower
 * case, separated by spaces (commas are tolerated). Unknown words are ignored.
 */
export function parseLabels(stored: string): HemorrhageLabel[] {
  const words = new Set(stored.split(/[\s,]+/).map((w) => w.toUpperCase()));
  return HEMORRHAGE_LABELS.filter((l) => words.has(l));
}

export function storedLabel(label: HemorrhageLabel): string {
  return label.toLowerCase();
}
