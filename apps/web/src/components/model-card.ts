import { LABELS, type Label } from '@ich/ml/browser';

export type ModelStatus = 'untrained' | 'synthetic' | 'trained' | 'unknown';

/** The facts a screen shows from a model card (apps/api's ModelVersion.card, JSON text). */
export interface CardFacts {
  status: ModelStatus;
  statusLabel: string;
  thresholds: Partial<Record<Label, number>>;
  metrics: Record<string, number> | null;
  trainingData: string;
  intendedUse: string;
  /** The card rules out clinical use (any card not plainly trained, or one whose intended use says so). */
  notForClinicalUse: boolean;
  limitations: string[];
  /** A ROC picture as a data: URL, when the card carries one. */
  rocImage: string | null;
}

const STATUS_LABEL: Record<ModelStatus, string> = {
  untrained: 'untrained (random weights, outputs are meaningless)',
  synthetic: 'trained on synthetic phantoms only',
  trained: 'trained',
  unknown: 'status unknown',
};

/**
 * Reads a card leniently: a card from an older or newer format still shows what it has, and anything it does not
 * state is shown as unknown rather than guessed. A card trained only on the project's synthetic phantoms says so.
 */
export function readCard(json: string): CardFacts {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // an unreadable card shows as unknown
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  let status: ModelStatus = 'unknown';
  if (raw['status'] === 'untrained' || raw['status'] === 'synthetic' || raw['status'] === 'trained')
    status = raw['status'];
  // A model trained only on the project's phantoms (the shipped demo model) is shown as such, not as "trained".
  if (status === 'trained' && /synthetic phantoms/i.test(str(raw['trainingData']))) status = 'synthetic';
  const intendedUse = str(raw['intendedUse']);
  const thresholds: Partial<Record<Label, number>> = {};
  const t = raw['thresholds'];
  if (t && typeof t === 'object')
    for (const label of LABELS) {
      const v = (t as Record<string, unknown>)[label];
      if (typeof v === 'number') thresholds[label] = v;
    }
  const m = raw['metrics'];
  const metrics =
    m && typeof m === 'object'
      ? Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number'))
      : null;
  const roc = str(raw['rocImage']);
  return {
    status,
    statusLabel: STATUS_LABEL[status],
    thresholds,
    metrics,
    trainingData: str(raw['trainingData']),
    intendedUse,
    notForClinicalUse: status !== 'trained' || /not for (any )?clinical use/i.test(intendedUse),
    limitations: Array.isArray(raw['limitations']) ? raw['limitations'].filter((x) => typeof x === 'string') : [],
    rocImage: roc.startsWith('data:image/png;base64,') ? roc : null,
  };
}
