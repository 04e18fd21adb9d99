import { LABELS } from '@ich/ml/browser';

/**
 * The five subtypes, as the GraphQL enum names them and as Study.positiveLabels stores them (lower case). Derived
 * from the model's own label list (@ich/ml), so the product cannot drift from what the model emits; labels.test.ts
 * ties it to the SDL and to the Prisma columns as well.
 */
export const HEMORRHAGE_LABELS = LABELS.filter((l) => l !== 'any').map((l) => l.toUpperCase()) as Uppercase<
  Exclude<(typeof LABELS)[number], 'any'>
>[];

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
