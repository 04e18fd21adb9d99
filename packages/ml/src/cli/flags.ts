import { AppError } from '@ich/errors';

/**
 * Checked values of `ich-ml` flags. Each reads one string flag from parseArgs' `values` (`name` without the
 * dashes), returns its default when the flag is absent, and refuses anything else with a BAD_USER_INPUT error that
 * names the flag, what it accepts and the value given:
 *   const batchSize = intFlag(values, 'batch', { min: 1, max: 256, default: 16 });
 *   // --batch must be an integer from 1 to 256, not "0"
 */

type FlagValues = Readonly<Record<string, unknown>>;

/** The names of the single-valued string flags among parseArgs' values (not booleans, not `multiple` lists). */
type StringFlag<V> = { [K in keyof V]-?: V[K] extends string | undefined ? K : never }[keyof V] & string;

export interface IntBounds {
  readonly min: number;
  /** No upper bound when absent. */
  readonly max?: number;
}

export interface NumberBounds {
  readonly min: number;
  readonly max: number;
}

export function intFlag<V extends FlagValues>(
  values: V,
  name: StringFlag<V>,
  bounds: IntBounds & { readonly default: number },
): number;
export function intFlag<V extends FlagValues>(values: V, name: StringFlag<V>, bounds: IntBounds): number | undefined;
export function intFlag<V extends FlagValues>(
  values: V,
  name: StringFlag<V>,
  bounds: IntBounds & { readonly default?: number },
): number | undefined {
  const raw = values[name] as string | undefined;
  return raw === undefined ? bounds.default : parseInteger(name, raw, bounds);
}

/** A comma-separated list of integers (`--batches 1,16`), each within the bounds; undefined when absent. */
export function intListFlag<V extends FlagValues>(
  values: V,
  name: StringFlag<V>,
  bounds: IntBounds,
): number[] | undefined {
  const raw = values[name] as string | undefined;
  return raw?.split(',').map((item) => parseInteger(name, item.trim(), bounds));
}

export function numberFlag<V extends FlagValues>(
  values: V,
  name: StringFlag<V>,
  bounds: NumberBounds & { readonly default: number },
): number {
  const raw = values[name] as string | undefined;
  if (raw === undefined) return bounds.default;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < bounds.min || n > bounds.max)
    throw new AppError(
      'BAD_USER_INPUT',
      `--${name} must be a number from ${bounds.min} to ${bounds.max}, not "${raw}"`,
    );
  return n;
}

export function enumFlag<V extends FlagValues, const C extends readonly string[]>(
  values: V,
  name: StringFlag<V>,
  choices: C,
  options: { readonly default: C[number] },
): C[number];
export function enumFlag<V extends FlagValues, const C extends readonly string[]>(
  values: V,
  name: StringFlag<V>,
  choices: C,
): C[number] | undefined;
export function enumFlag<V extends FlagValues, const C extends readonly string[]>(
  values: V,
  name: StringFlag<V>,
  choices: C,
  options: { readonly default?: C[number] } = {},
): C[number] | undefined {
  const raw = values[name] as string | undefined;
  return raw === undefined ? options.default : parseChoice(name, raw, choices);
}

/** A comma-separated list of choices (`--engines onnx,tfjs-wasm`); undefined when absent. */
export function enumListFlag<V extends FlagValues, const C extends readonly string[]>(
  values: V,
  name: StringFlag<V>,
  choices: C,
): C[number][] | undefined {
  const raw = values[name] as string | undefined;
  return raw?.split(',').map((item) => parseChoice(name, item.trim(), choices));
}

function parseInteger(name: string, raw: string, { min, max }: IntBounds): number {
  const n = Number(raw);
  // Digits only: Number() would also take '', ' ', '1e3' and '0x10'.
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new AppError('BAD_USER_INPUT', `--${name} must be an integer ${range}, not "${raw}"`);
  }
  return n;
}

function parseChoice<C extends readonly string[]>(name: string, raw: string, choices: C): C[number] {
  if ((choices as readonly string[]).includes(raw)) return raw as C[number];
  const allowed = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
  throw new AppError('BAD_USER_INPUT', `--${name} must be ${allowed}, not "${raw}"`);
}
