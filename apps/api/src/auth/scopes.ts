import { AppError } from '@ich/errors';

/**
 * What an API token may do. A token acts with its owner's role *and* is limited to its scopes, so a leaked read-only
 * integration token cannot review studies or touch users even when its owner is an admin.
 */
export const SCOPES = {
  'read:studies': 'read studies, patients, predictions and reviews',
  'write:studies': 'review studies and queue them for inference again',
  'write:uploads': 'upload DICOM studies',
  'read:audit': 'read, verify and export the audit log (ADMIN owners only)',
  admin: 'manage users, API tokens and model versions (ADMIN owners only)',
} as const;

export type Scope = keyof typeof SCOPES;

/** Scopes only an ADMIN's token may carry: they guard admin-only operations. */
const ADMIN_ONLY_SCOPES: ReadonlySet<Scope> = new Set(['admin', 'read:audit']);

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/** The stored form is space-separated (SQLite has no scalar lists); unknown words are dropped, never widened. */
export function parseScopes(stored: string): Set<Scope> {
  return new Set(stored.split(/\s+/).filter(isScope));
}

export function formatScopes(scopes: Iterable<Scope>): string {
  return [...new Set(scopes)].sort().join(' ');
}

/** Validates requested scopes for a token owned by a user with `ownerRole`; names the first bad one. */
export function validateRequestedScopes(requested: readonly string[], ownerRole: 'ADMIN' | 'CLINICIAN'): Scope[] {
  if (requested.length === 0)
    throw new AppError('BAD_USER_INPUT', 'scopes: give at least one scope', { field: 'scopes' });
  const scopes: Scope[] = [];
  for (const s of requested) {
    if (!isScope(s)) {
      throw new AppError('BAD_USER_INPUT', `scopes: unknown scope "${s}" (known: ${Object.keys(SCOPES).join(', ')})`, {
        field: 'scopes',
        scope: s,
      });
    }
    if (ADMIN_ONLY_SCOPES.has(s) && ownerRole !== 'ADMIN') {
      throw new AppError('FORBIDDEN', `scopes: "${s}" can only be granted to a token owned by an ADMIN`, {
        field: 'scopes',
        scope: s,
      });
    }
    scopes.push(s);
  }
  return [...new Set(scopes)].sort();
}
