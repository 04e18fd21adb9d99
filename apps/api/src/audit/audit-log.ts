import { randomUUID } from 'node:crypto';
import { Prisma } from '@ich/prisma';
import type { Caller } from '../auth/caller.js';
import type { Db, DbProvider } from '../db/records.js';
import { type AuditCheckpoint, CheckpointFile, CheckpointMatcher, signCheckpoint } from './checkpoint.js';
import { auditHash, type ChainRow, checkLink, GENESIS_HASH, type HashedAuditFields } from './hash-chain.js';
import type { AuditAction } from './vocabulary.js';

export type ActorType = 'ANONYMOUS' | 'USER' | 'API_TOKEN' | 'SYSTEM';

export interface AuditActor {
  type: ActorType;
  id: string | null;
  label: string;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEntry {
  /** Dotted verb, e.g. `auth.login`, `study.read`, `user.update`: one of the vocabulary's (vocabulary.ts). */
  action: AuditAction;
  outcome?: 'SUCCESS' | 'FAILURE';
  resourceType?: string | null;
  resourceId?: string | null;
  patientId?: string | null;
  studyId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditFilter {
  action?: string | null;
  actorId?: string | null;
  studyId?: string | null;
  patientId?: string | null;
  outcome?: 'SUCCESS' | 'FAILURE' | null;
  from?: Date | null;
  to?: Date | null;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  reason: string | null;
  /** The newest keyed checkpoint the chain was checked against; null when checkpoints are off or none exists yet. */
  checkpoint: { seq: number; count: number; at: Date } | null;
}

/** Where checkpoints of the chain's head are signed and kept (both outside the database). */
export interface CheckpointSettings {
  key: Buffer;
  file: string;
}

/** API-token actors are recorded under their owner's id; the token id goes in the details. */
export function actorOf(caller: Caller, fallbackLabel = ''): AuditActor {
  const p = caller.principal;
  const where = { ip: caller.ip, userAgent: caller.userAgent };
  if (p.kind === 'session') return { type: 'USER', id: p.userId, label: p.email, ...where };
  if (p.kind === 'apiToken')
    return { type: 'API_TOKEN', id: p.userId, label: `${p.email} (token ${p.tokenId})`, ...where };
  return { type: 'ANONYMOUS', id: null, label: fallbackLabel, ...where };
}

export const SYSTEM_ACTOR: AuditActor = { type: 'SYSTEM', id: null, label: 'system', ip: null, userAgent: null };

// Arbitrary but fixed: every API process on one PostgreSQL database takes this transaction-scoped lock to append.
const POSTGRES_LOCK_KEY = 7_158_324_112;
// 16 columns per event: a batch stays far below SQLite's 32,766 bound parameters.
const MAX_BATCH = 256;
const SQLITE_ATTEMPTS = 5;
const USER_AGENT_MAX = 512;

type StoredEvent = HashedAuditFields & { actorType: ActorType; outcome: 'SUCCESS' | 'FAILURE'; hash: string };

/** Links a batch onto the chain's head (GENESIS_HASH for an empty log). */
function chained(events: ReadonlyArray<Omit<HashedAuditFields, 'prevHash'>>, head: string | null): StoredEvent[] {
  let prevHash = head ?? GENESIS_HASH;
  return events.map((e) => {
    const row = { ...e, prevHash };
    const hash = auditHash(row);
    prevHash = hash;
    return { ...row, actorType: e.actorType as ActorType, outcome: e.outcome as 'SUCCESS' | 'FAILURE', hash };
  });
}

interface Pending {
  fields: Omit<HashedAuditFields, 'prevHash'>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The only writer of AuditEvent rows. Appends are serialised because each event stores its predecessor's hash; events
 * arriving while a write is in flight are committed together in the next one (group commit), so auditing every read
 * does not serialise the whole API behind one row at a time. Rows are never updated or deleted.
 *
 * SQLite: one API process owns the database file, so serialising in-process is enough. PostgreSQL (several API
 * processes): a transaction-scoped advisory lock serialises appends across processes.
 */
export class AuditLog {
  private readonly pending: Pending[] = [];
  private draining: Promise<void> | null = null;
  /** SQLite: the hash of the last event this process appended (undefined: unknown, read it from the database). */
  private sqliteHead: string | null | undefined = undefined;

  private readonly checkpoints: { key: Buffer; file: CheckpointFile } | null;
  private timer: NodeJS.Timeout | null = null;
  private verifying: Promise<ChainVerification> | null = null;

  constructor(
    private readonly prisma: Db,
    private readonly provider: DbProvider,
    checkpoints: CheckpointSettings | null = null,
  ) {
    this.checkpoints = checkpoints ? { key: checkpoints.key, file: new CheckpointFile(checkpoints.file) } : null;
  }

  /**
   * Signs the current head (after every accepted append is written) and appends it to the checkpoint file. Returns
   * null when checkpoints are off or the log is empty.
   */
  async checkpoint(): Promise<AuditCheckpoint | null> {
    if (!this.checkpoints) return null;
    await this.flush();
    const head = await this.prisma.auditEvent.findFirst({
      orderBy: { seq: 'desc' },
      select: { seq: true, hash: true },
    });
    if (!head) return null;
    const count = await this.prisma.auditEvent.count({ where: { seq: { lte: head.seq } } });
    const checkpoint = signCheckpoint({ seq: head.seq, headHash: head.hash, count }, this.checkpoints.key);
    this.checkpoints.file.append(checkpoint);
    return checkpoint;
  }

  /** Writes a checkpoint every `intervalMs` (the timer does not keep the process alive); 0 turns this off. */
  startCheckpoints(intervalMs: number): void {
    if (!this.checkpoints || intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.checkpoint().catch((error: unknown) => console.error('[api] audit checkpoint failed', error));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic checkpoints and writes a last one (at shutdown). */
  async stopCheckpoints(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checkpoint();
  }

  /** Resolves once the event is durably stored; callers serving patient data wait for it (fail closed). */
  append(actor: AuditActor, entry: AuditEntry): Promise<void> {
    const fields: Omit<HashedAuditFields, 'prevHash'> = {
      id: randomUUID(),
      at: new Date(),
      actorType: actor.type,
      actorId: actor.id,
      actorLabel: actor.label,
      action: entry.action,
      outcome: entry.outcome ?? 'SUCCESS',
      resourceType: entry.resourceType ?? null,
      resourceId: entry.resourceId ?? null,
      patientId: entry.patientId ?? null,
      studyId: entry.studyId ?? null,
      ipAddress: actor.ip,
      userAgent: actor.userAgent === null ? null : actor.userAgent.slice(0, USER_AGENT_MAX),
      details: JSON.stringify(entry.details ?? {}),
    };
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ fields, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // An append that arrived after the drain loop's last check but before this callback would otherwise wait
      // for the next append to start a drain.
      if (this.pending.length > 0) this.kick();
    });
  }

  /** Waits for every accepted append to be written (used at shutdown). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.write(batch.map((p) => p.fields));
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
  }

  private async write(events: ReadonlyArray<Omit<HashedAuditFields, 'prevHash'>>): Promise<void> {
    if (this.provider === 'postgresql') {
      await this.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${POSTGRES_LOCK_KEY})`);
        const head = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
        await tx.auditEvent.createMany({ data: chained(events, head?.hash ?? null) });
      });
      return;
    }
    // SQLite: the driver adapter shares one connection per process, so an interactive transaction would also capture
    // other requests' statements. Instead the batch is inserted by one statement that succeeds only if the chain's
    // head is still the one the hashes were computed from (compare-and-swap); a statement is atomic in SQLite, so
    // this holds across processes sharing the file too. The head this process last wrote is remembered, so the usual
    // append is that one statement; a lost race (another process appended) re-reads the head and tries again.
    const remembered = this.sqliteHead;
    this.sqliteHead = undefined;
    if (remembered !== undefined && (await this.insertIfHead(events, remembered))) return;
    for (let attempt = 0; attempt < SQLITE_ATTEMPTS; attempt += 1) {
      const head =
        (await this.prisma.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } }))?.hash ?? null;
      if (await this.insertIfHead(events, head)) return;
    }
    throw new Error(`audit append lost the chain head ${SQLITE_ATTEMPTS} times in a row`);
  }

  /** Inserts the batch linked onto `head` only if `head` is still the chain's head; remembers the new head if so. */
  private async insertIfHead(
    events: ReadonlyArray<Omit<HashedAuditFields, 'prevHash'>>,
    head: string | null,
  ): Promise<boolean> {
    const rows = chained(events, head);
    const values = Prisma.join(
      rows.map(
        (r) =>
          Prisma.sql`(${r.id}, ${r.at}, ${r.actorType}, ${r.actorId}, ${r.actorLabel}, ${r.action}, ${r.outcome}, ${r.resourceType}, ${r.resourceId}, ${r.patientId}, ${r.studyId}, ${r.ipAddress}, ${r.userAgent}, ${r.details}, ${r.prevHash}, ${r.hash})`,
      ),
    );
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO "AuditEvent" ("id", "at", "actorType", "actorId", "actorLabel", "action", "outcome", "resourceType", "resourceId",
        "patientId", "studyId", "ipAddress", "userAgent", "details", "prevHash", "hash")
      SELECT * FROM (VALUES ${values})
      WHERE (SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1) IS ${head}`;
    if (inserted !== rows.length) return false;
    this.sqliteHead = rows.at(-1)?.hash;
    return true;
  }

  /** Newest first, keyset-paginated on seq. */
  async page(filter: AuditFilter, take: number, beforeSeq: number | null): Promise<ChainRow[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: { ...whereOf(filter), ...(beforeSeq === null ? {} : { seq: { lt: beforeSeq } }) },
      orderBy: { seq: 'desc' },
      take,
    });
    return rows;
  }

  async count(filter: AuditFilter): Promise<number> {
    return this.prisma.auditEvent.count({ where: whereOf(filter) });
  }

  /**
   * Oldest first, in batches, for exports and verification of long logs without loading them whole; `upToSeq` stops
   * at a checkpoint's head.
   */
  async *scan(filter: AuditFilter = {}, batchSize = 1000, upToSeq: number | null = null): AsyncGenerator<ChainRow> {
    let afterSeq = 0;
    for (;;) {
      const rows = await this.prisma.auditEvent.findMany({
        where: { ...whereOf(filter), seq: { gt: afterSeq, ...(upToSeq === null ? {} : { lte: upToSeq }) } },
        orderBy: { seq: 'asc' },
        take: batchSize,
      });
      for (const row of rows) yield row;
      const last = rows.at(-1);
      if (!last || rows.length < batchSize) return;
      afterSeq = last.seq;
    }
  }

  /**
   * Walks the whole chain from the first event and reports the first link that does not hold, then checks the chain
   * against the newest keyed checkpoint: truncation and a rewrite with recomputed hashes both fail there.
   * Single-flight: a walk reads and re-hashes every event, so callers arriving while one runs share its result
   * instead of starting their own (20 parallel requests are one walk, not 20 competing for the process).
   */
  verify(): Promise<ChainVerification> {
    if (!this.verifying) {
      this.verifying = this.walkAndCheck().finally(() => {
        this.verifying = null;
      });
    }
    return this.verifying;
  }

  private async walkAndCheck(): Promise<ChainVerification> {
    await this.flush();
    const latest = this.checkpoints?.file.latest() ?? null;
    const matcher = latest && this.checkpoints ? new CheckpointMatcher(latest, this.checkpoints.key) : null;
    const checkpoint = latest ? { seq: latest.seq, count: latest.count, at: new Date(latest.at) } : null;
    let expected = GENESIS_HASH;
    let checked = 0;
    for await (const row of this.scan()) {
      const check = checkLink(row, expected);
      checked += 1;
      if (!check.ok) return { ok: false, checked, firstBrokenSeq: check.seq, reason: check.reason, checkpoint };
      matcher?.see(row);
      expected = row.hash;
    }
    const anchored = matcher?.result() ?? { ok: true, reason: null };
    if (!anchored.ok) return { ok: false, checked, firstBrokenSeq: null, reason: anchored.reason, checkpoint };
    return { ok: true, checked, firstBrokenSeq: null, reason: null, checkpoint };
  }
}

function whereOf(filter: AuditFilter) {
  return {
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.actorId ? { actorId: filter.actorId } : {}),
    ...(filter.studyId ? { studyId: filter.studyId } : {}),
    // An event about one patient names them in patientId; a list (worklist page, patient search) names every patient
    // it showed in details.patientIds, as quoted ids, so both count as access to that patient's records.
    ...(filter.patientId
      ? { OR: [{ patientId: filter.patientId }, { details: { contains: JSON.stringify(filter.patientId) } }] }
      : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.from || filter.to
      ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
      : {}),
  };
}
