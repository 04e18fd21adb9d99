import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError, type ErrorCode, type Result } from '@ich/errors';
import type { DicomAttributes } from '@ich/ml/browser';
import { Prisma } from '@ich/prisma';
import type { AuditActor, AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { Db, DbProvider } from '../db/records.js';
import type { StudyEvent, StudyEvents } from '../events/study-events.js';
import { isUniqueViolation } from '../services/prisma-errors.js';
import type { ContentStore, TempFile } from '../storage/content-store.js';
import { finalizeStudy, type StudyChange } from './finalize-study.js';
import { compareSlices, dicomDate, orientationOf, slicePosition } from './geometry.js';
import { parseAttributes } from './intake.js';

/** One received file, already streamed to a temporary file under STORAGE_DIR. */
export interface IncomingFile {
  /** The name the client gave (upload field file name, zip entry path, or STOW part number). */
  name: string;
  temp: TempFile;
  /**
   * Set by a receiver that parsed the file while it still had its bytes in memory (STOW-RS), so the service need
   * not read it back: the parse result and, for a file that parsed, the storage key it was already committed under.
   */
  parsed?: Result<DicomAttributes>;
  storageKey?: string;
}

/** A file refused before it reached the database; the same shape the HTTP answers use. */
export interface RejectedFile {
  file: string;
  code: ErrorCode;
  message: string;
}

export type FileOutcome =
  | {
      file: string;
      status: 'accepted' | 'duplicate';
      studyInstanceUid: string;
      seriesInstanceUid: string;
      sopInstanceUid: string;
      sopClassUid: string;
    }
  | ({
      status: 'rejected';
      studyInstanceUid: string | null;
      sopInstanceUid: string | null;
      sopClassUid: string | null;
    } & RejectedFile);

export interface StudyReport {
  id: string;
  studyInstanceUid: string;
  accepted: number;
  duplicates: number;
  rejected: RejectedFile[];
}

export interface IngestResult {
  studies: StudyReport[];
  /** Rejected files that name no study (not DICOM, truncated before the study UID...). */
  unassigned: RejectedFile[];
  /** Every file in input order (STOW-RS answers per instance). */
  files: FileOutcome[];
}

export interface IngestOptions {
  /**
   * upload: the request is the whole delivery, so each study with new instances is queued (or marked not eligible)
   * in the same transaction. stow: instances trickle in over many requests, so studies are stamped with
   * lastInstanceAt and the stable-study sweep queues them once they are quiet.
   */
  mode: 'upload' | 'stow';
  /** STOW-RS `/studies/{uid}`: instances of other studies are refused. */
  studyInstanceUid?: string;
  /** Audited as `study.import` with this channel in the details. */
  via: string;
}

export interface IngestDeps {
  prisma: Db;
  provider: DbProvider;
  store: ContentStore;
  audit: AuditLog;
  events: StudyEvents;
}

/** What is kept of a parsed file: attributes and where its bytes are; the pixels are not held in memory. */
interface Candidate {
  index: number;
  name: string;
  temp: TempFile;
  attrs: DicomAttributes;
  position: number | null;
  orientation: string;
  storageKey?: string;
}

const TRANSACTION_ATTEMPTS = 4;
const COMMIT_CONCURRENCY = 16;
/** Rows per INSERT: 14 parameters each stays far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const INSERT_ROWS = 500;

/**
 * The one ingest path for browser uploads and DICOMweb STOW-RS. Each file is parsed and validated on its own with
 * @ich/ml (a bad file is reported with its code and never sinks its siblings), stored by content hash, and the
 * whole batch recorded Patient → Study → Series → Instance in one transaction, so a crash or a full disk leaves
 * either all of the batch's rows or none. A SOPInstanceUID seen before is a duplicate when its bytes are the same
 * (a no-op: PACS resend series) and a CONFLICT when they differ (the stored instance is kept, never overwritten).
 */
export class IngestService {
  constructor(private readonly deps: IngestDeps) {}

  async ingest(actor: AuditActor, files: readonly IncomingFile[], options: IngestOptions): Promise<IngestResult> {
    const outcomes: FileOutcome[] = new Array(files.length);
    const candidates: Candidate[] = [];
    try {
      for (const [index, f] of files.entries()) {
        const checked = await this.check(f, options);
        if ('code' in checked) {
          outcomes[index] = checked;
          await this.deps.store.discard(f.temp);
        } else candidates.push({ ...checked, index });
      }
      // Same UID twice in one batch: the first copy is the candidate; the second is a duplicate or a conflict.
      const firstByUid = new Map<string, Candidate>();
      const unique: Candidate[] = [];
      for (const c of candidates) {
        const first = firstByUid.get(c.attrs.sopInstanceUid);
        if (!first) {
          firstByUid.set(c.attrs.sopInstanceUid, c);
          unique.push(c);
          continue;
        }
        outcomes[c.index] =
          first.temp.contentHash === c.temp.contentHash ? duplicate(c) : conflict(c, 'sent twice in this request');
        await this.deps.store.discard(c.temp);
      }
      // fsync dominates storing: committing in parallel lets the file system flush many files in one journal commit.
      await mapConcurrent(unique, COMMIT_CONCURRENCY, async (c) => {
        c.storageKey ??= await this.deps.store.commit(c.temp);
      });
      candidates.length = 0;
      candidates.push(...unique);
    } catch (error) {
      // A full disk (or any storage failure) fails the request as a whole: nothing is recorded.
      await Promise.all(files.map((f) => this.deps.store.discard(f.temp)));
      throw error;
    }

    const { result, events } = await this.record(actor, files, candidates, outcomes, options);
    for (const event of events) this.deps.events.publish(event);
    return result;
  }

  /** Parses and validates one file; returns what to store or why it is refused. */
  private async check(
    f: IncomingFile,
    options: IngestOptions,
  ): Promise<Omit<Candidate, 'index'> | Extract<FileOutcome, { status: 'rejected' }>> {
    const parsed = f.parsed ?? (await parseFile(f.temp.path));
    if (!parsed.ok) return rejected(f.name, parsed.error.code, parsed.error.message);
    const a = parsed.value;
    const ids = {
      studyInstanceUid: a.studyInstanceUid || null,
      sopInstanceUid: a.sopInstanceUid || null,
      sopClassUid: a.sopClassUid || null,
    };
    const missing = (['sopInstanceUid', 'studyInstanceUid', 'seriesInstanceUid'] as const).filter((k) => !a[k]);
    if (missing.length > 0) return { ...rejected(f.name, 'BAD_DICOM', `missing ${missing.join(', ')}`), ...ids };
    if (options.studyInstanceUid && a.studyInstanceUid !== options.studyInstanceUid) {
      return {
        ...rejected(
          f.name,
          'BAD_USER_INPUT',
          `StudyInstanceUID ${a.studyInstanceUid} is not the study of the request (${options.studyInstanceUid})`,
        ),
        ...ids,
      };
    }
    return {
      name: f.name,
      temp: f.temp,
      ...(f.storageKey ? { storageKey: f.storageKey } : {}),
      attrs: a,
      position: slicePosition(a.imagePositionPatient, a.imageOrientationPatient),
      orientation: orientationOf(a.imageOrientationPatient),
    };
  }

  /**
   * Records the batch and its `study.import` audit events in one transaction (a crash cannot leave imported instances
   * the log does not show), retried when a parallel request created the same rows first.
   */
  private async record(
    actor: AuditActor,
    files: readonly IncomingFile[],
    candidates: Candidate[],
    outcomes: FileOutcome[],
    options: IngestOptions,
  ): Promise<{ result: IngestResult; events: StudyEvent[] }> {
    if (candidates.length === 0) {
      // Nothing is stored: the events only say what was refused.
      const result = report(files, outcomes, new Map());
      const entries = await auditEntries(this.deps.prisma, result, options);
      await Promise.all(entries.map((entry) => this.deps.audit.append(actor, entry)));
      return { result, events: [] };
    }
    for (let attempt = 1; ; attempt += 1) {
      const local: FileOutcome[] = [...outcomes];
      try {
        const recorded = await this.deps.audit.change(async (tx, audit) => {
          const changes = await this.recordIn(tx as unknown as Db, candidates, local, options);
          const result = report(files, local, changes.studyIds);
          for (const entry of await auditEntries(tx as unknown as Db, result, options)) audit(actor, entry);
          return { result, events: changes.events };
        });
        for (const c of candidates) outcomes[c.index] = local[c.index] as FileOutcome;
        return recorded;
      } catch (error) {
        // A parallel request created the same rows first, or (SQLite with API_WORKERS > 1) another process wrote
        // after this transaction's snapshot: run the batch again on the new state.
        if ((isUniqueViolation(error) || isSqliteBusy(error)) && attempt < TRANSACTION_ATTEMPTS) continue;
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'Parallel requests kept writing the same study.');
        throw error;
      }
    }
  }

  private async recordIn(
    tx: Db,
    candidates: Candidate[],
    outcomes: FileOutcome[],
    options: IngestOptions,
  ): Promise<{ studyIds: Map<string, string>; events: StudyEvent[] }> {
    const now = new Date();
    const existing = await tx.instance.findMany({
      where: { sopInstanceUid: { in: candidates.map((c) => c.attrs.sopInstanceUid) } },
      select: { sopInstanceUid: true, contentHash: true },
    });
    const known = new Map(existing.map((e) => [e.sopInstanceUid, e.contentHash]));
    const fresh: Candidate[] = [];
    for (const c of candidates) {
      const hash = known.get(c.attrs.sopInstanceUid);
      if (hash === undefined) fresh.push(c);
      else
        outcomes[c.index] = hash === c.temp.contentHash ? duplicate(c) : conflict(c, 'stored before with other bytes');
    }

    const studyIds = new Map<string, string>();
    const created = new Set<string>();
    // Studies touched only by duplicates still get their id in the answer.
    const dupStudies = candidates.filter((c) => !fresh.includes(c)).map((c) => c.attrs.studyInstanceUid);
    for (const s of await tx.study.findMany({
      where: { studyInstanceUid: { in: [...new Set(dupStudies)] } },
      select: { id: true, studyInstanceUid: true },
    }))
      studyIds.set(s.studyInstanceUid, s.id);

    const byStudy = groupBy(fresh, (c) => c.attrs.studyInstanceUid);
    const touched: string[] = [];
    for (const [studyUid, members] of byStudy) {
      const first = members[0] as Candidate;
      const study = await this.studyFor(tx, first.attrs, now, created);
      // Parallel batches of one study take turns from here (PostgreSQL row lock; SQLite runs one writer at a time),
      // so slice numbering and queueing always see every instance already recorded.
      if (this.deps.provider === 'postgresql')
        await tx.$queryRawUnsafe('SELECT 1 FROM "Study" WHERE "id" = $1 FOR UPDATE', study.id);
      studyIds.set(studyUid, study.id);
      let added = 0;
      for (const [seriesUid, slices] of groupBy(members, (c) => c.attrs.seriesInstanceUid)) {
        const series = await this.seriesFor(tx, (slices[0] as Candidate).attrs, study.id);
        if (series.studyId !== study.id) {
          for (const c of slices) outcomes[c.index] = conflict(c, `series ${seriesUid} belongs to another study`);
          continue;
        }
        await this.addInstances(tx, series.id, slices);
        for (const c of slices) outcomes[c.index] = accepted(c);
        added += slices.length;
      }
      if (added === 0) continue;
      touched.push(study.id);
      await tx.study.update({
        where: { id: study.id },
        data: {
          instanceCount: { increment: added },
          ...(options.mode === 'stow' ? { lastInstanceAt: now } : {}),
        },
      });
    }

    const events: StudyEvent[] = [];
    const at = now.toISOString();
    for (const id of touched) {
      let change: StudyChange | null = null;
      if (options.mode === 'upload') change = await finalizeStudy(tx, id);
      const status =
        change?.status ?? (await tx.study.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
      if (created.has(id)) events.push({ kind: 'ARRIVED', studyId: id, status, at });
      else if (change?.changed) events.push({ kind: 'STATUS', studyId: id, status, at });
    }
    return { studyIds, events };
  }

  private async studyFor(tx: Db, a: DicomAttributes, now: Date, created: Set<string>) {
    const found = await tx.study.findUnique({ where: { studyInstanceUid: a.studyInstanceUid }, select: { id: true } });
    if (found) return found;
    const patient = await tx.patient.upsert({
      where: { patientId_issuer: { patientId: a.patientId, issuer: '' } },
      update: {},
      create: {
        patientId: a.patientId,
        issuer: '',
        name: a.patientName,
        birthDate: a.patientBirthDate || null,
        sex: a.patientSex || null,
      },
      select: { id: true },
    });
    const study = await tx.study.create({
      data: {
        studyInstanceUid: a.studyInstanceUid,
        patientId: patient.id,
        accessionNumber: a.accessionNumber || null,
        studyDate: dicomDate(a.studyDate, a.studyTime),
        description: a.studyDescription,
        receivedAt: now,
      },
      select: { id: true },
    });
    created.add(study.id);
    return study;
  }

  private async seriesFor(tx: Db, a: DicomAttributes, studyId: string) {
    const found = await tx.series.findUnique({
      where: { seriesInstanceUid: a.seriesInstanceUid },
      select: { id: true, studyId: true },
    });
    if (found) return found;
    return tx.series.create({
      data: {
        seriesInstanceUid: a.seriesInstanceUid,
        studyId,
        seriesNumber: a.seriesNumber,
        description: a.seriesDescription,
        modality: a.modality,
        orientation: orientationOf(a.imageOrientationPatient),
      },
      select: { id: true, studyId: true },
    });
  }

  /**
   * Inserts the new instances with their slice index and renumbers the series' earlier instances where the new ones
   * fall between them, so sliceIndex is always 0..n−1 in anatomical order.
   */
  private async addInstances(tx: Db, seriesId: string, slices: Candidate[]): Promise<void> {
    const earlier = await tx.instance.findMany({
      where: { seriesId },
      select: { id: true, position: true, instanceNumber: true, sopInstanceUid: true, sliceIndex: true },
    });
    type Row = {
      position: number | null;
      instanceNumber: number | null;
      sopInstanceUid: string;
      old?: (typeof earlier)[number];
      c?: Candidate;
    };
    const rows: Row[] = [
      ...earlier.map((e) => ({
        position: e.position,
        instanceNumber: e.instanceNumber,
        sopInstanceUid: e.sopInstanceUid,
        old: e,
      })),
      ...slices.map((c) => ({
        position: c.position,
        instanceNumber: c.attrs.instanceNumber,
        sopInstanceUid: c.attrs.sopInstanceUid,
        c,
      })),
    ].sort(compareSlices);
    const now = new Date();
    const values: Prisma.Sql[] = [];
    for (const [sliceIndex, row] of rows.entries()) {
      if (row.old && row.old.sliceIndex !== sliceIndex)
        await tx.instance.update({ where: { id: row.old.id }, data: { sliceIndex } });
      if (row.c) {
        const { attrs, temp, storageKey } = row.c;
        values.push(
          Prisma.sql`(${randomUUID()}, ${attrs.sopInstanceUid}, ${attrs.sopClassUid}, ${seriesId}, ${attrs.instanceNumber}, ${row.c.position}, ${sliceIndex}, ${attrs.rows}, ${attrs.columns}, ${attrs.transferSyntaxUid}, ${temp.contentHash}, ${storageKey as string}, ${temp.sizeBytes}, ${now})`,
        );
      }
    }
    // One multi-row INSERT rather than createMany: Prisma compiles a createMany of n rows anew for each n (~10 ms for
    // a 40-slice series, half the batch's transaction); the statement is the same SQL on both providers.
    for (let at = 0; at < values.length; at += INSERT_ROWS) {
      await tx.$executeRaw`INSERT INTO "Instance" ("id", "sopInstanceUid", "sopClassUid", "seriesId", "instanceNumber",
        "position", "sliceIndex", "rows", "columns", "transferSyntaxUid", "contentHash", "storageKey", "sizeBytes",
        "createdAt") VALUES ${Prisma.join(values.slice(at, at + INSERT_ROWS))}`;
    }
  }
}

/** One `study.import` event per study the request touched, and one for files that named no study. */
async function auditEntries(db: Db, result: IngestResult, options: IngestOptions): Promise<AuditEntry[]> {
  const patients = new Map(
    (
      await db.study.findMany({
        where: { id: { in: result.studies.map((s) => s.id) } },
        select: { id: true, patientId: true },
      })
    ).map((s) => [s.id, s.patientId]),
  );
  const entries: AuditEntry[] = result.studies.map((s) => ({
    action: 'study.import',
    outcome: s.accepted + s.duplicates > 0 ? 'SUCCESS' : 'FAILURE',
    resourceType: 'Study',
    resourceId: s.id,
    studyId: s.id,
    patientId: patients.get(s.id) ?? null,
    details: {
      via: options.via,
      studyInstanceUid: s.studyInstanceUid,
      accepted: s.accepted,
      duplicates: s.duplicates,
      rejected: s.rejected.map((r) => ({ file: r.file, code: r.code })),
    },
  }));
  if (result.unassigned.length > 0 || result.files.length === 0) {
    entries.push({
      action: 'study.import',
      outcome: 'FAILURE',
      details: { via: options.via, rejected: result.unassigned.map((r) => ({ file: r.file, code: r.code })) },
    });
  }
  return entries;
}

async function mapConcurrent<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    while (next < items.length && failures.length === 0) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}

function isSqliteBusy(error: unknown): boolean {
  return /SQLITE_BUSY|database is locked/i.test(String((error as Error | null)?.message ?? ''));
}

/** Reads a received file back and parses it (attributes only are kept; the bytes are dropped). */
async function parseFile(file: string): Promise<Result<DicomAttributes>> {
  return parseAttributes(await readFile(file));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function ids(c: Candidate) {
  return {
    file: c.name,
    studyInstanceUid: c.attrs.studyInstanceUid,
    seriesInstanceUid: c.attrs.seriesInstanceUid,
    sopInstanceUid: c.attrs.sopInstanceUid,
    sopClassUid: c.attrs.sopClassUid,
  };
}

const accepted = (c: Candidate): FileOutcome => ({ ...ids(c), status: 'accepted' });
const duplicate = (c: Candidate): FileOutcome => ({ ...ids(c), status: 'duplicate' });
const conflict = (c: Candidate, why: string): FileOutcome => ({
  ...ids(c),
  status: 'rejected',
  code: 'CONFLICT',
  message: `SOPInstanceUID ${c.attrs.sopInstanceUid} ${why}; the stored instance is kept`,
});

function rejected(file: string, code: ErrorCode, message: string): Extract<FileOutcome, { status: 'rejected' }> {
  return { file, status: 'rejected', code, message, studyInstanceUid: null, sopInstanceUid: null, sopClassUid: null };
}

function report(files: readonly IncomingFile[], outcomes: FileOutcome[], studyIds: Map<string, string>): IngestResult {
  const studies = new Map<string, StudyReport>();
  const unassigned: RejectedFile[] = [];
  for (const o of outcomes) {
    const uid = o.studyInstanceUid;
    const id = uid ? studyIds.get(uid) : undefined;
    if (!uid || !id) {
      if (o.status === 'rejected') unassigned.push({ file: o.file, code: o.code, message: o.message });
      continue;
    }
    let s = studies.get(uid);
    if (!s) {
      s = { id, studyInstanceUid: uid, accepted: 0, duplicates: 0, rejected: [] };
      studies.set(uid, s);
    }
    if (o.status === 'rejected') s.rejected.push({ file: o.file, code: o.code, message: o.message });
    else if (o.status === 'accepted') s.accepted += 1;
    else s.duplicates += 1;
  }
  if (outcomes.length !== files.length) throw new AppError('INTERNAL', 'an ingest outcome is missing');
  return { studies: [...studies.values()], unassigned, files: outcomes };
}
