import { AppError } from '@ich/errors';

const ID_MAX = 64;

/** Ids are opaque strings; anything longer than ours is refused before it reaches a query or the audit log. */
export function checkId(id: string, argument = 'id'): string {
  if (id.length === 0 || id.length > ID_MAX || /[\u0000-\u001f]/.test(id)) {
    throw new AppError('BAD_USER_INPUT', `${argument}: not a valid id`, { argument });
  }
  return id;
}

export function checkText(value: string | null | undefined, field: string, max: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > max) throw new AppError('BAD_USER_INPUT', `${field}: must be at most ${max} characters`, { field });
  return value;
}
