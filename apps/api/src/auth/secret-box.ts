import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '@ich/errors';

/**
 * Secrets the product must use later in clear (a destination's Basic password or Bearer token), unlike passwords
 * and API tokens, which are only ever compared and so are stored as hashes. They are sealed with AES-256-GCM under
 * a key kept in a file outside the database (DESTINATION_KEY_FILE), so a copy of the database alone reveals none
 * of them. The API process seals; the worker processes, which send, open (scale-out hosts share the key file).
 */
const VERSION = 'v1';
const KEY_BYTES = 32;

/** Reads the key file, creating it (0600, 32 random bytes as hex) when it does not exist yet. */
export function loadSecretKey(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^([0-9a-f]{2}){32}$/i.test(text))
    throw new AppError('BAD_CONFIG', `${file}: expected 32 bytes of hex (the destination secret key)`, {
      variable: 'DESTINATION_KEY_FILE',
    });
  return Buffer.from(text, 'hex');
}

/**
 * `v1:<iv>:<tag>:<ciphertext>` (base64url). `context` (e.g. the destination id) is authenticated too, so a sealed
 * secret copied onto another row does not open there.
 */
export function sealSecret(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join(':');
}

export function openSecret(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== VERSION || !iv || !tag || body === undefined)
    throw new AppError('INTERNAL', 'A stored destination secret has an unknown format.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new AppError(
      'INTERNAL',
      'A stored destination secret does not open with DESTINATION_KEY_FILE (another key?); set the secret again.',
    );
  }
}
