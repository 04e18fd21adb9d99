import { randomUUID } from 'node:crypto';
import { Prisma } from '@ich/prisma';
import type { Caller } from '../auth/caller.js';
import type { Db, DbProvider } from '../db/records.js';
import { log } from '../log/logger.js';
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

/** The database inside one interactive transaction (what `prisma.$transaction(async (tx) => …)` hands over). */
export type Tx = Prisma.TransactionClient;

/** Collects the audit events of a change; they are written in the change's own transaction. */
export type RecordAudit = (actor: AuditActor, entry: AuditEntry) => void;

/** A completed verification, as served to readers without walking the chain again. */
export interface CompletedVerification extends ChainVerification {
  /** When the walk finished. */
  verifiedAt: Date;
  durationMs: number;
}

/** The cached verification and whether a newer one is running. */
export interface VerificationStatus {
  last: CompletedVerification | null;
  running: boolean;
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
// A change waits for the chain's lock (PostgreSQL) or the connection (SQLite) behind other changes: generous bounds,
// so a burst of parallel changes on a loaded machine queues instead of failing at Prisma's 2 s / 5 s defaults.
const CHANGE_TRANSACTION = { maxWait: 30_000, timeout: 30_000 };

/** SQLite: another process appended between this transaction's head read and its insert; the change is retried. */
class ChainHeadMoved extends Error {}

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

function fieldsOf(actor: AuditActor, entry: AuditEntry): Omit<HashedAuditFields, 'prevHash'> {
  return {
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
}

/**
 * SQLite: inserts the batch linked onto `head` in one statement that succeeds only if `head` is still the chain's
 * head (compare-and-swap; a statement is atomic in SQLite, across processes sharing the file too). Returns the new
 * head, or null when the head had moved and nothing was inserted.
 */
async function insertIfHead(
  db: Db | Tx,
  events: ReadonlyArray<Omit<HashedAuditFields, 'prevHash'>>,
  head: string | null,
): Promise<string | null> {
  const rows = chained(events, head);
  const values = Prisma.join(
    rows.map(
      (r) =>
        Prisma.sql`(${r.id}, ${r.at}, ${r.actorType}, ${r.actorId}, ${r.actorLabel}, ${r.action}, ${r.outcome}, ${r.resourceType}, ${r.resourceId}, ${r.patientId}, ${r.studyId}, ${r.ipAddress}, ${r.userAgent}, ${r.details}, ${r.prevHash}, ${r.hash})`,
    ),
  );
  const inserted = await db.$executeRaw`
    INSERT INTO "AuditEvent" ("id", "at", "actorType", "actorId", "actorLabel", "action", "outcome", "resourceType", "resourceId",
      "patientId", "studyId", "ipAddress", "userAgent", "details", "prevHash", "hash")
    SELECT * FROM (VALUES ${values})
    WHERE (SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1) IS ${head}`;
  return inserted === rows.length ? (rows.at(-1)?.hash ?? null) : null;
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
 * Across processes (API_WORKERS, the worker): on SQLite each batch is one compare-and-swap insert that succeeds only
 * while the head it was hashed onto is still the head (see `write`); on PostgreSQL a transaction-scoped advisory lock
 * serialises appends.
 */
export class AuditLog {
  private readonly pending: Pending[] = [];
  private draining: Promise<void> | null = null;
  /** SQLite: the hash of the last event this process appended (undefined: unknown, read it from the database). */
  private sqliteHead: string | null | undefined = undefined;

  private readonly checkpoints: { key: Buffer; file: CheckpointFile } | null;
  private timer: NodeJS.Timeout | null = null;
  private verifying: Promise<CompletedVerification> | null = null;
  private verifyTimer: NodeJS.Timeout | null = null;
  private lastVerification: CompletedVerification | null = null;

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
      this.checkpoint().catch((error: unknown) => log.error('audit checkpoint failed', error));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic checkpoints and verifications, lets a running walk end, and writes a last checkpoint. */
  async stopCheckpoints(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.verifyTimer) clearInterval(this.verifyTimer);
    this.verifyTimer = null;
    await this.verifying?.catch(() => undefined);
    await this.checkpoint();
  }

  /**
   * Verifies the chain in the background now and every `intervalMs` (0: only when asked); the timer does not keep
   * the process alive. Readers get the cached result (`verificationStatus`), so no request walks the chain.
   */
  startVerification(intervalMs: number): void {
    this.requestVerification();
    if (intervalMs <= 0 || this.verifyTimer) return;
    this.verifyTimer = setInterval(() => this.requestVerification(), intervalMs);
    this.verifyTimer.unref();
  }

  /**
   * Starts a verification unless one is running or the last one finished less than `minAgeMs` ago (so a flood of
   * requests is at most one walk at a time, back to back).
   */
  requestVerification(minAgeMs = 0): void {
    if (this.verifying) return;
    const last = this.lastVerification;
    if (last && Date.now() - last.verifiedAt.getTime() < minAgeMs) return;
    this.verify().catch((error: unknown) => log.error('audit verification failed to run', error));
  }

  /** The last completed verification (null before the first) and whether another is running. */
  verificationStatus(): VerificationStatus {
    return { last: this.lastVerification, running: this.verifying !== null };
  }

  /** Resolves once the event is durably stored; callers serving patient data wait for it (fail closed). */
  append(actor: AuditActor, entry: AuditEntry): Promise<void> {
    const fields = fieldsOf(actor, entry);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ fields, resolve, reject });
      this.kick();
    });
  }

  /**
   * Runs a change and writes its audit events in the same database transaction, so the change and its events commit
   * together or not at all: a crash (kill -9) between them can no longer leave a change that the log does not show.
   * `work` gets the transaction and a `record` function; what it records is chained onto the log's head inside the
   * transaction after `work` returns. On PostgreSQL the chain's advisory lock is taken only then, so parallel changes
   * hold it just for the append and the commit. On SQLite transactions are serialised (see @ich/prisma's
   * isolateTransactions) and the append is the same compare-and-swap insert as `append`'s; if another process moved
   * the head meanwhile, the whole change is rolled back and run again, so `work` must only touch the database.
   */
  async change<T>(work: (tx: Tx, record: RecordAudit) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          const events: Array<Omit<HashedAuditFields, 'prevHash'>> = [];
          const value = await work(tx, (actor, entry) => {
            events.push(fieldsOf(actor, entry));
          });
          if (events.length > 0) await this.appendInTransaction(tx, events);
          return value;
        }, CHANGE_TRANSACTION);
      } catch (error) {
        if (!(error instanceof ChainHeadMoved) || attempt >= SQLITE_ATTEMPTS) throw error;
      }
    }
  }

  private async appendInTransaction(tx: Tx, events: ReadonlyArray<Omit<HashedAuditFields, 'prevHash'>>) {
    if (this.provider === 'postgresql') {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${POSTGRES_LOCK_KEY})`);
      const head = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
      await tx.auditEvent.createMany({ data: chained(events, head?.hash ?? null) });
      return;
    }
    // The transaction began IMMEDIATE, so no other process can write until it ends: the head read here stays the
    // head. The compare-and-swap is kept anyway (it costs nothing) so a broken assumption fails instead of forking.
    // The head this process remembers for group commits is forgotten: this append moves it.
    this.sqliteHead = undefined;
    const head = (await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } }))?.hash ?? null;
    if ((await insertIfHead(tx, events, head)) === null) throw new ChainHeadMoved('the audit chain head moved');
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
    const newHead = await insertIfHead(this.prisma, events, head);
    if (newHead === null) return false;
    this.sqliteHead = newHead;
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
  verify(): Promise<CompletedVerification> {
    if (!this.verifying) {
      this.verifying = this.timedWalk().finally(() => {
        this.verifying = null;
      });
    }
    return this.verifying;
  }

  /**
   * One walk, cached as the last verification. A failure raises a `security.alert` event (SYSTEM, FAILURE) when it is
   * new: the first failure after a success, or a different reason than the failure before, so a broken chain checked
   * every period adds one alert, not one per check.
   */
  private async timedWalk(): Promise<CompletedVerification> {
    const started = Date.now();
    const result = await this.walkAndCheck();
    const completed: CompletedVerification = { ...result, verifiedAt: new Date(), durationMs: Date.now() - started };
    const previous = this.lastVerification;
    this.lastVerification = completed;
    if (!result.ok && (previous === null || previous.ok || previous.reason !== result.reason)) {
      log.error(`SECURITY: the audit log does not verify: ${result.reason ?? 'unknown reason'}`);
      await this.append(SYSTEM_ACTOR, {
        action: 'security.alert',
        outcome: 'FAILURE',
        details: {
          alert: 'AUDIT_CHAIN_BROKEN',
          reason: result.reason,
          firstBrokenSeq: result.firstBrokenSeq,
          checked: result.checked,
        },
      });
    }
    return completed;
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
