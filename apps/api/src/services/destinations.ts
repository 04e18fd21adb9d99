import { isIP } from 'node:net';
import { AppError } from '@ich/errors';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import { sealSecret } from '../auth/secret-box.js';
import type { DestinationRecord, SendJobRecord } from '../db/records.js';
import { queueSends } from '../destinations/enqueue.js';
import { checkConnection, resolveDestination, secretContext } from '../destinations/resolve.js';
import type { ConnectionCheck } from '../destinations/transport.js';
import { listResultObjects } from '../results/list.js';
import type { ServiceDeps } from './deps.js';
import { checkId } from './ids.js';

export interface DestinationInput {
  name?: string | null;
  kind?: 'DICOMWEB' | 'DIMSE' | null;
  enabled?: boolean | null;
  autoSend?: boolean | null;
  url?: string | null;
  authType?: 'NONE' | 'BASIC' | 'BEARER' | null;
  username?: string | null;
  secret?: string | null;
  host?: string | null;
  port?: number | null;
  calledAet?: string | null;
  callingAet?: string | null;
}

export interface SendCounts {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
}

export type SendRecord = SendJobRecord;

const bad = (field: string, message: string) => new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });

// An AE title: 1–16 characters of the default character repertoire, no backslash, not all spaces (PS3.5 §6.2).
const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;
// A host name (RFC 1123 labels) or an IP address.
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function trimmed(value: string | null | undefined): string | null | undefined {
  return value === undefined || value === null ? value : value.trim();
}

/**
 * PACS destinations and sends of result objects: ADMINs only (tokens need the `admin` scope). Destination secrets
 * are sealed on the way in (secret-box) and never leave: reads expose `hasSecret` only.
 */
export class DestinationService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
  ) {}

  private authorizeAdmin() {
    return authorize(this.caller.principal, { scope: 'admin', admin: true });
  }

  async list(): Promise<DestinationRecord[]> {
    this.authorizeAdmin();
    return this.deps.prisma.destination.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  }

  async get(id: string): Promise<DestinationRecord | null> {
    this.authorizeAdmin();
    return this.deps.prisma.destination.findUnique({ where: { id: checkId(id) } });
  }

  private async require(id: string): Promise<DestinationRecord> {
    const row = await this.deps.prisma.destination.findUnique({ where: { id: checkId(id) } });
    if (!row) throw new AppError('NOT_FOUND', 'No such destination.', { id });
    return row;
  }

  /**
   * The stored columns for an input merged onto an existing row (or onto nothing, for create), validated as a
   * whole: a DICOMWEB destination needs an http(s) URL, BASIC a username and a secret, BEARER a secret; a DIMSE
   * destination a host, a port and a called AE title.
   */
  private validate(input: DestinationInput, existing: DestinationRecord | null) {
    const name = trimmed(input.name) ?? existing?.name;
    if (!name || name.length > 100) throw bad('name', 'must be 1 to 100 characters');
    const kind = input.kind ?? existing?.kind;
    if (!kind) throw bad('kind', 'is required');
    const merged = {
      name,
      kind,
      enabled: input.enabled ?? existing?.enabled ?? true,
      autoSend: input.autoSend ?? existing?.autoSend ?? false,
      url: input.url === undefined ? (existing?.url ?? null) : trimmed(input.url) || null,
      authType: input.authType ?? existing?.authType ?? 'NONE',
      username: input.username === undefined ? (existing?.username ?? null) : trimmed(input.username) || null,
      host: input.host === undefined ? (existing?.host ?? null) : trimmed(input.host) || null,
      port: input.port === undefined ? (existing?.port ?? null) : input.port,
      calledAet: input.calledAet === undefined ? (existing?.calledAet ?? null) : trimmed(input.calledAet) || null,
      callingAet: input.callingAet === undefined ? (existing?.callingAet ?? null) : trimmed(input.callingAet) || null,
    };
    // undefined: keep; '' or null: remove; otherwise: replace.
    const secretChange = input.secret === undefined ? 'keep' : input.secret ? 'set' : 'clear';
    const hasSecret = secretChange === 'set' || (secretChange === 'keep' && Boolean(existing?.secretCipher));
    if (input.secret && input.secret.length > 4096) throw bad('secret', 'must be at most 4096 characters');
    if (kind === 'DICOMWEB') {
      if (!merged.url) throw bad('url', 'a DICOMweb destination needs its URL (the DICOMweb root)');
      let url: URL;
      try {
        url = new URL(merged.url);
      } catch {
        throw bad('url', 'not a valid URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('url', 'must be http:// or https://');
      if (url.username || url.password) throw bad('url', 'put credentials in username and secret, not in the URL');
      if (merged.url.length > 2048) throw bad('url', 'must be at most 2048 characters');
      if (merged.authType === 'BASIC' && !merged.username) throw bad('username', 'Basic authentication needs one');
      if (merged.username?.includes(':')) throw bad('username', 'must not contain ":"');
      if (merged.authType !== 'NONE' && !hasSecret)
        throw bad('secret', `${merged.authType === 'BASIC' ? 'Basic' : 'Bearer'} authentication needs one`);
    } else {
      if (!merged.host || (!HOST_NAME.test(merged.host) && isIP(merged.host) === 0))
        throw bad('host', 'a DIMSE destination needs a host name or IP address');
      if (!Number.isInteger(merged.port) || (merged.port as number) < 1 || (merged.port as number) > 65_535)
        throw bad('port', 'must be 1 to 65535');
      if (!merged.calledAet || !AE_TITLE.test(merged.calledAet))
        throw bad('calledAet', 'must be an AE title (1 to 16 characters, no backslash)');
      if (merged.callingAet && !AE_TITLE.test(merged.callingAet))
        throw bad('callingAet', 'must be an AE title (1 to 16 characters, no backslash)');
    }
    return { merged, secretChange, secret: input.secret ?? null };
  }

  /** What the audit log keeps of a destination: its settings, never its secret. */
  private described(row: DestinationRecord) {
    return {
      name: row.name,
      kind: row.kind,
      enabled: row.enabled,
      autoSend: row.autoSend,
      url: row.url,
      authType: row.authType,
      username: row.username,
      hasSecret: Boolean(row.secretCipher),
      host: row.host,
      port: row.port,
      calledAet: row.calledAet,
      callingAet: row.callingAet,
    };
  }

  private async nameTaken<T>(write: () => Promise<T>, name: string): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new AppError('CONFLICT', `A destination named ${JSON.stringify(name)} exists already.`, {
          field: 'name',
        });
      throw error;
    }
  }

  async create(input: DestinationInput): Promise<DestinationRecord> {
    this.authorizeAdmin();
    const { merged, secretChange, secret } = this.validate(input, null);
    const { audit, destinations } = this.deps;
    // The row and its audit event commit together (AuditLog.change): no destination exists unaudited.
    return this.nameTaken(
      () =>
        audit.change(async (tx, record) => {
          const created = await tx.destination.create({ data: merged });
          const row =
            secretChange !== 'set'
              ? created
              : // Sealed under the row's id, which exists only now.
                await tx.destination.update({
                  where: { id: created.id },
                  data: {
                    secretCipher: sealSecret(destinations.secretKey, secret as string, secretContext(created.id)),
                  },
                });
          record(actorOf(this.caller), {
            action: 'destination.create',
            resourceType: 'Destination',
            resourceId: row.id,
            details: this.described(row),
          });
          return row;
        }),
      merged.name,
    );
  }

  async update(id: string, input: DestinationInput): Promise<DestinationRecord> {
    this.authorizeAdmin();
    const existing = await this.require(id);
    const { merged, secretChange, secret } = this.validate(input, existing);
    const { audit, destinations } = this.deps;
    const secretCipher =
      secretChange === 'keep'
        ? undefined
        : secretChange === 'clear'
          ? null
          : sealSecret(destinations.secretKey, secret as string, secretContext(existing.id));
    return this.nameTaken(
      () =>
        audit.change(async (tx, record) => {
          const row = await tx.destination.update({ where: { id: existing.id }, data: { ...merged, secretCipher } });
          record(actorOf(this.caller), {
            action: 'destination.update',
            resourceType: 'Destination',
            resourceId: row.id,
            details: { ...this.described(row), secretChanged: secretChange !== 'keep' },
          });
          return row;
        }),
      merged.name,
    );
  }

  async delete(id: string): Promise<boolean> {
    this.authorizeAdmin();
    const existing = await this.require(id);
    await this.deps.audit.change(async (tx, record) => {
      await tx.destination.delete({ where: { id: existing.id } });
      record(actorOf(this.caller), {
        action: 'destination.delete',
        resourceType: 'Destination',
        resourceId: existing.id,
        details: { name: existing.name, kind: existing.kind },
      });
    });
    return true;
  }

  async test(id: string): Promise<ConnectionCheck> {
    this.authorizeAdmin();
    const row = await this.require(id);
    const { destinations, audit } = this.deps;
    const check = await checkConnection(
      resolveDestination(row, destinations.secretKey),
      Math.min(destinations.timeoutMs, 15_000),
    );
    await audit.append(actorOf(this.caller), {
      action: 'destination.test',
      outcome: check.ok ? 'SUCCESS' : 'FAILURE',
      resourceType: 'Destination',
      resourceId: row.id,
      details: { name: row.name, ...check },
    });
    return check;
  }

  /** Queues the study's latest prediction's result objects to a destination (MANUAL). */
  async sendStudyResults(studyId: string, destinationId: string): Promise<SendRecord[]> {
    this.authorizeAdmin();
    const { prisma, audit, destinations } = this.deps;
    const destination = await this.require(destinationId);
    if (!destination.enabled) throw new AppError('CONFLICT', `Destination ${destination.name} is disabled.`);
    const study = await prisma.study.findUnique({ where: { id: checkId(studyId, 'studyId') } });
    if (!study) throw new AppError('NOT_FOUND', 'No such study.', { id: studyId });
    const prediction = await prisma.studyPrediction.findFirst({
      where: { studyId: study.id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    const objects = prediction ? await listResultObjects(prisma, prediction.id) : [];
    if (objects.length === 0)
      throw new AppError('CONFLICT', 'The study has no result objects yet (it has not been analyzed).');
    const queued = await queueSends(prisma, {
      destinationId: destination.id,
      studyId: study.id,
      instances: objects.map((o) => ({ instanceId: o.instanceId, sopInstanceUid: o.sopInstanceUid })),
      trigger: 'MANUAL',
      maxAttempts: destinations.maxAttempts,
    });
    await audit.append(actorOf(this.caller), {
      action: 'study.send_results',
      resourceType: 'Destination',
      resourceId: destination.id,
      studyId: study.id,
      patientId: study.patientId,
      details: {
        destination: destination.name,
        sopInstanceUids: objects.map((o) => o.sopInstanceUid),
        queued: queued.queued,
        alreadySent: queued.alreadySent,
        pending: queued.pending,
      },
    });
    const rows = await prisma.sendJob.findMany({ where: { id: { in: queued.ids } } });
    return queued.ids.map((id) => rows.find((r) => r.id === id) as SendRecord);
  }

  async sendsOfStudy(studyId: string): Promise<SendRecord[]> {
    this.authorizeAdmin();
    return this.deps.prisma.sendJob.findMany({
      where: { studyId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  async failures(destinationId: string | null, first: number | null | undefined): Promise<SendRecord[]> {
    this.authorizeAdmin();
    const take = Math.min(Math.max(first ?? 20, 1), 200);
    return this.deps.prisma.sendJob.findMany({
      where: { status: 'FAILED', ...(destinationId ? { destinationId } : {}) },
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  async counts(destinationId: string): Promise<SendCounts> {
    this.authorizeAdmin();
    const groups = await this.deps.prisma.sendJob.groupBy({
      by: ['status'],
      where: { destinationId },
      _count: { _all: true },
    });
    const of = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
    return { queued: of('QUEUED'), sending: of('RUNNING'), sent: of('DONE'), failed: of('FAILED') };
  }

  async destinationOf(send: SendRecord): Promise<DestinationRecord> {
    this.authorizeAdmin();
    return this.require(send.destinationId);
  }
}
