import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointFile,
  CheckpointMatcher,
  checkpointSignatureValid,
  loadCheckpointKey,
  signCheckpoint,
} from './checkpoint.js';

describe('audit checkpoints', () => {
  const key = randomBytes(32);

  it('signs the head with HMAC and refuses any change or another key', () => {
    const cp = signCheckpoint({ seq: 10, headHash: 'a'.repeat(64), count: 9 }, key);
    expect(checkpointSignatureValid(cp, key)).toBe(true);
    expect(checkpointSignatureValid({ ...cp, count: 8 }, key)).toBe(false);
    expect(checkpointSignatureValid({ ...cp, seq: 11 }, key)).toBe(false);
    expect(checkpointSignatureValid(cp, randomBytes(32))).toBe(false);
  });

  it('matches a chain that reaches the checkpoint, and names truncation, rewrite and removal', () => {
    const cp = signCheckpoint({ seq: 3, headHash: 'c', count: 3 }, key);
    const check = (rows: Array<{ seq: number; hash: string }>) => {
      const m = new CheckpointMatcher(cp, key);
      for (const r of rows) m.see(r);
      return m.result();
    };
    const chain = [
      { seq: 1, hash: 'a' },
      { seq: 2, hash: 'b' },
      { seq: 3, hash: 'c' },
      { seq: 4, hash: 'd' },
    ];
    expect(check(chain)).toEqual({ ok: true, reason: null });
    expect(check(chain.slice(0, 2)).reason).toMatch(/ends at seq 2, before the checkpoint at seq 3/);
    expect(check([chain[0]!, chain[1]!, { seq: 3, hash: 'x' }]).reason).toMatch(/rewritten/);
    expect(check([chain[0]!, chain[2]!]).reason).toMatch(/2 events lead up to seq 3, the checkpoint counted 3/);
  });

  it('creates the key once, readable only by its owner, and keeps the newest checkpoint in the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ich-checkpoint-'));
    const file = path.join(dir, 'secrets', 'k.key');
    const first = loadCheckpointKey(file);
    expect(loadCheckpointKey(file).equals(first)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const store = new CheckpointFile(path.join(dir, 'cp.jsonl'));
    expect(store.latest()).toBeNull();
    store.append(signCheckpoint({ seq: 5, headHash: 'e', count: 5 }, first));
    store.append(signCheckpoint({ seq: 7, headHash: 'g', count: 6 }, first));
    expect(store.latest()).toMatchObject({ seq: 7, count: 6 });
  });
});
