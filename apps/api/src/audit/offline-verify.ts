import { type AuditCheckpoint, CheckpointMatcher, parseCheckpoint } from './checkpoint.js';
import { CHECKPOINT_MARK, CSV_COLUMNS, parseCsv } from './export-format.js';
import { type ChainRow, checkLink, GENESIS_HASH } from './hash-chain.js';

export interface OfflineVerification {
  ok: boolean;
  events: number;
  checkpoint: AuditCheckpoint | null;
  reason: string | null;
}

/**
 * Verifies a CSV audit export without the database: every event's hash, every link back to the genesis, and the
 * signed checkpoint the export ends with (HMAC under the checkpoint key). Only an unfiltered export is a whole
 * chain; a filtered one fails at its first gap, which is the honest answer.
 */
export function verifyCsvExport(text: string, key: Buffer): OfflineVerification {
  const records = parseCsv(text);
  const header = records.shift();
  const fail = (events: number, reason: string, checkpoint: AuditCheckpoint | null = null): OfflineVerification => ({
    ok: false,
    events,
    checkpoint,
    reason,
  });
  if (!header || header.join(',') !== CSV_COLUMNS.join(','))
    return fail(0, `not an audit CSV export: the header is not ${CSV_COLUMNS.join(',')}`);
  const last = records.at(-1);
  const checkpoint = last?.[0] === CHECKPOINT_MARK ? parseCheckpoint(last[1] ?? '') : null;
  if (!checkpoint) return fail(0, 'the export carries no checkpoint row (#checkpoint): it cannot be anchored');
  records.pop();
  const matcher = new CheckpointMatcher(checkpoint, key);
  let expected = GENESIS_HASH;
  let events = 0;
  for (const record of records) {
    const row = rowOf(record);
    if (!row) return fail(events, `row ${events + 2}: not ${CSV_COLUMNS.length} well-formed columns`, checkpoint);
    const link = checkLink(row, expected);
    events += 1;
    if (!link.ok) return fail(events, `seq ${link.seq}: ${link.reason}`, checkpoint);
    matcher.see(row);
    expected = row.hash;
  }
  const anchored = matcher.result();
  if (!anchored.ok) return fail(events, anchored.reason ?? 'checkpoint mismatch', checkpoint);
  if (records.length > 0 && rowOf(records.at(-1) ?? [])?.seq !== checkpoint.seq)
    return fail(events, `the export does not end at the checkpoint's seq ${checkpoint.seq}`, checkpoint);
  return { ok: true, events, checkpoint, reason: null };
}

function rowOf(record: ReadonlyArray<string | null>): ChainRow | null {
  if (record.length !== CSV_COLUMNS.length) return null;
  const cell = (name: (typeof CSV_COLUMNS)[number]) => record[CSV_COLUMNS.indexOf(name)] ?? null;
  const seq = Number(cell('seq'));
  const at = new Date(cell('at') ?? '');
  if (!Number.isSafeInteger(seq) || Number.isNaN(at.getTime())) return null;
  return {
    seq,
    id: cell('id') ?? '',
    at,
    actorType: cell('actorType') ?? '',
    actorId: cell('actorId'),
    actorLabel: cell('actorLabel') ?? '',
    action: cell('action') ?? '',
    outcome: cell('outcome') ?? '',
    resourceType: cell('resourceType'),
    resourceId: cell('resourceId'),
    patientId: cell('patientId'),
    studyId: cell('studyId'),
    ipAddress: cell('ipAddress'),
    userAgent: cell('userAgent'),
    details: cell('details') ?? '',
    prevHash: cell('prevHash') ?? '',
    hash: cell('hash') ?? '',
  };
}
