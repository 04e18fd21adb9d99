/**
 * The browser-safe model surface (pure types and functions): model cards and their validation, the slice → study
 * roll-up and the triage rule, model configuration limits. Re-exported by `@ich/ml/browser`.
 */
export {
  AGGREGATIONS,
  type Aggregation,
  type CardWindow,
  cardChannels,
  MODEL_CARD_FORMAT,
  type ModelCard,
  type ModelCardSummary,
  type ModelTargets,
  parseModelCard,
  summarizeCard,
} from '../model/card.js';
export {
  DEFAULT_MODEL_CONFIG,
  INCEPTION_V3_BASE_PARAMETERS,
  MAX_INPUT_SIZE,
  MIN_INPUT_SIZE,
  type ModelConfig,
  modelConfigProblem,
} from '../model/config.js';
export { aggregate, aggregateStudy, triageDecision } from './aggregate.js';
