import { describe, expect, it } from 'vitest';
import {
  createPasswordHasher,
  DEFAULT_PASSWORD_PARAMS,
  hashPassword,
  LOW_COST_PASSWORD_PARAMS,
  verifyPassword,
} from './password.js';

describe('password hashing', () => {
  it('hashes with argon2id at the default cost and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toBe(false);
    expect(DEFAULT_PASSWORD_PARAMS.memoryCost).toBeGreaterThanOrEqual(19_456);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same', LOW_COST_PASSWORD_PARAMS),
      hashPassword('same', LOW_COST_PASSWORD_PARAMS),
    ]);
    expect(a).not.toBe(b);
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
    expect(await verifyPassword('', '')).toBe(false);
  });

  it('binds parameters in a hasher; hashes made with other parameters still verify', async () => {
    const cheap = createPasswordHasher(LOW_COST_PASSWORD_PARAMS);
    const stored = await cheap.hash('pw-123456789012');
    expect(stored).toContain('m=1024,t=1,p=1');
    expect(await createPasswordHasher().verify(stored, 'pw-123456789012')).toBe(true);
  });
});
