import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSecretKey, openSecret, sealSecret } from './secret-box.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ich-secret-box-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret box (destination secrets)', () => {
  it('creates a 0600 key file once and reads the same key back', () => {
    const file = path.join(dir, 'nested', 'destination.key');
    const key = loadSecretKey(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(file).equals(key)).toBe(true);
  });

  it('seals so that the stored text reveals nothing and opens only with the same key and context', () => {
    const key = loadSecretKey(path.join(dir, 'a.key'));
    const sealed = sealSecret(key, 'icht_very-secret-token', 'destination:abc');
    expect(sealed).not.toContain('very-secret');
    expect(sealed.startsWith('v1:')).toBe(true);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(sealSecret(key, 'icht_very-secret-token', 'destination:abc')).not.toBe(sealed);
    expect(openSecret(key, sealed, 'destination:abc')).toBe('icht_very-secret-token');
    // Copied onto another destination's row: refused.
    expect(() => openSecret(key, sealed, 'destination:other')).toThrow(/does not open/);
    // Another installation's key: refused.
    expect(() => openSecret(loadSecretKey(path.join(dir, 'b.key')), sealed, 'destination:abc')).toThrow(
      /does not open/,
    );
    // Tampered ciphertext: refused (GCM tag).
    const parts = sealed.split(':');
    parts[3] = `${parts[3]?.slice(0, -2)}AA`;
    expect(() => openSecret(key, parts.join(':'), 'destination:abc')).toThrow(/does not open/);
  });

  it('refuses a key file that is not 32 bytes of hex', () => {
    const file = path.join(dir, 'bad.key');
    writeFileSync(file, 'not-a-key\n');
    expect(() => loadSecretKey(file)).toThrow(/32 bytes of hex/);
  });
});
