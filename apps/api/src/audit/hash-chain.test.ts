import { describe, expect, it } from 'vitest';
import {
  auditHash,
  type ChainRow,
  canonicalJson,
  checkLink,
  GENESIS_HASH,
  type HashedAuditFields,
} from './hash-chain.js';

function event(overrides: Partial<HashedAuditFields> = {}): HashedAuditFields {
  return {
    id: 'ev1',
    at: new Date('2026-01-02T03:04:05.678Z'),
    actorType: 'USER',
    actorId: 'u1',
    actorLabel: 'a@b.c',
    action: 'study.read',
    outcome: 'SUCCESS',
    resourceType: 'Study',
    resourceId: 's1',
    patientId: 'p1',
    studyId: 's1',
    ipAddress: '127.0.0.1',
    userAgent: null,
    details: '{}',
    prevHash: GENESIS_HASH,
    ...overrides,
  };
}

function chain(count: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= count; i += 1) {
    const fields = event({ id: `ev${i}`, prevHash: prev, details: JSON.stringify({ i }) });
    const row = { ...fields, seq: i, hash: auditHash(fields) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

function firstBroken(rows: ChainRow[]): number | null {
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const check = checkLink(row, prev);
    if (!check.ok) return check.seq;
    prev = row.hash;
  }
  return null;
}

describe('audit hash chain', () => {
  it('serialises independently of key order and dates to ISO', () => {
    const a = event();
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as HashedAuditFields;
    expect(canonicalJson(reordered)).toBe(canonicalJson(a));
    expect(canonicalJson(a)).toContain('"at":"2026-01-02T03:04:05.678Z"');
    expect(auditHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash when any covered field changes', () => {
    const base = auditHash(event());
    expect(auditHash(event({ details: '{"x":1}' }))).not.toBe(base);
    expect(auditHash(event({ ipAddress: '10.0.0.1' }))).not.toBe(base);
    expect(auditHash(event({ at: new Date('2026-01-02T03:04:05.679Z') }))).not.toBe(base);
    expect(auditHash(event({ prevHash: 'f'.repeat(64) }))).not.toBe(base);
  });

  it('accepts an intact chain and reports the first altered, removed or reordered event', () => {
    expect(firstBroken(chain(5))).toBeNull();
    const altered = chain(5);
    altered[2] = { ...altered[2]!, actorLabel: 'someone else' };
    expect(firstBroken(altered)).toBe(3);
    const removed = chain(5);
    removed.splice(1, 1);
    expect(firstBroken(removed)).toBe(3);
    const swapped = chain(5);
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(firstBroken(swapped)).toBe(5);
  });
});
