import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStored } from './analyze-study.js';

describe('resolveStored', () => {
  const root = path.resolve('/srv/ich/storage');

  it('joins a relative storage key under STORAGE_DIR', () => {
    expect(resolveStored(root, 'ab/abcdef')).toBe(path.join(root, 'ab', 'abcdef'));
  });

  it.each(['../etc/passwd', 'ab/../../x', '/etc/passwd', '.', ''])('refuses %j, which is not inside it', (key) => {
    expect(() => resolveStored(root, key)).toThrow(/outside STORAGE_DIR/);
  });
});
