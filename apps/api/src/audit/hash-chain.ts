import { createHash } from 'node:crypto';

/** The prevHash of the very first event: there is nothing before it to link to. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every stored field that the hash covers. `seq` is not covered: the chain itself (prevHash) orders events. */
export interface HashedAuditFields {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  outcome: string;
  resourceType: string | null;
  resourceId: string | null;
  patientId: string | null;
  studyId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: string;
  prevHash: string;
}

/**
 * The fields the hash covers, in the order exports list them. Listed explicitly so that extra properties on a row,
 * such as seq or hash, never enter the hash; the export's columns are built from this list so that an export always
 * carries everything needed to re-verify it.
 */
export const HASHED_FIELDS = [
  'id',
  'at',
  'actorType',
  'actorId',
  'actorLabel',
  'action',
  'outcome',
  'resourceType',
  'resourceId',
  'patientId',
  'studyId',
  'ipAddress',
  'userAgent',
  'details',
  'prevHash',
] as const satisfies ReadonlyArray<keyof HashedAuditFields>;

// Sorted, so the canonical JSON does not depend on the listing order.
const HASHED_KEYS = HASHED_FIELDS.slice().sort();

/**
 * JSON with keys in sorted order and dates as ISO strings, so the same event always serialises to the same bytes
 * whichever database or process wrote it.
 */
export function canonicalJson(fields: HashedAuditFields): string {
  const plain: Record<string, string | null> = {};
  for (const key of HASHED_KEYS) {
    const value = fields[key];
    plain[key] = value instanceof Date ? value.toISOString() : value;
  }
  return JSON.stringify(plain);
}

/** SHA-256 over the canonical JSON, which includes the previous event's hash. */
export function auditHash(fields: HashedAuditFields): string {
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex');
}

export interface ChainRow extends HashedAuditFields {
  seq: number;
  hash: string;
}

export type ChainCheck = { ok: true } | { ok: false; seq: number; reason: string };

/**
 * Checks one event against its predecessor's hash: a changed field breaks its own hash; a deleted or inserted event
 * breaks the next event's link.
 */
export function checkLink(row: ChainRow, expectedPrevHash: string): ChainCheck {
  if (row.prevHash !== expectedPrevHash) {
    return {
      ok: false,
      seq: row.seq,
      reason: 'prevHash does not match the previous event (an event was removed, inserted or reordered)',
    };
  }
  if (auditHash(row) !== row.hash)
    return { ok: false, seq: row.seq, reason: 'hash does not match the event content (the event was altered)' };
  return { ok: true };
}
