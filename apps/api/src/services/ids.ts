import { AppError } from '@ich/errors';

const ID_MAX = 64;

/** Ids are opaque strings; anything longer than ours is refused before it reaches a query or the audit log. */
export function checkId(id: string, argument = 'id'): string {
  if (id.length === 0 || id.length > ID_MAX || hasControlCharacter(id)) {
    throw new AppError('BAD_USER_INPUT', `${argument}: not a valid id`, { argument });
  }
  return id;
}

export function checkText(value: string | null | undefined, field: string, max: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > max)
    throw new AppError('BAD_USER_INPUT', `${field}: must be at most ${max} characters`, { field });
  if (value.includes('\u0000'))
    throw new AppError('BAD_USER_INPUT', `${field}: must not contain NUL characters`, { field });
  return value;
}

/** C0 control characters (U+0000–U+001F) never occur in our ids; a NUL would also break PostgreSQL text. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20) return true;
  return false;
}
