import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets. Only their SHA-256 is stored: the secret has 256 bits of entropy, so a fast hash is enough
 * (unlike passwords) and lookups stay a single indexed query. The prefix tells a session from an API token at a
 * glance, in logs and in secret scanners.
 */
export const SESSION_PREFIX = 'ichs_';
export const API_TOKEN_PREFIX = 'icht_';

export type SecretKind = 'session' | 'apiToken';

export function newSecret(kind: SecretKind): string {
  return (kind === 'session' ? SESSION_PREFIX : API_TOKEN_PREFIX) + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Which kind of secret a presented string claims to be; anything malformed is rejected before touching the DB. */
export function classifySecret(secret: string): SecretKind | null {
  if (!/^ich[st]_[A-Za-z0-9_-]{43}$/.test(secret)) return null;
  return secret.startsWith(SESSION_PREFIX) ? 'session' : 'apiToken';
}

/** The characters shown in token lists: the kind prefix and the first few random characters. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, API_TOKEN_PREFIX.length + 6);
}
