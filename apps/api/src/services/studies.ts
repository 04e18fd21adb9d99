import { AppError } from '@ich/errors';
import { Prisma } from '@ich/prisma';
import { z } from 'zod';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { Loaders } from '../db/loaders.js';
import type {
  InferenceJobRecord,
  ModelVersionRecord,
  PatientRecord,
  ReviewRecord,
  SeriesRecord,
  SlicePredictionRecord,
  StudyPredictionRecord,
  StudyRecord,
} from '../db/records.js';
import { countWorklist, readWorklistPage, type WorklistFilter, type WorklistPosition } from '../db/worklist-query.js';
import { streamEvents } from '../events/event-stream.js';
import type { StudyEvent } from '../events/study-events.js';
import { enqueueStudyAnalysis } from '../queue/enqueue.js';
import { type Connection, toConnection } from './connection.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import type { ServiceDeps } from './deps.js';
import { checkId, checkText } from './ids.js';
import { type HemorrhageLabel, storedLabel } from './labels.js';
import { containsText, literalMatches, needsLiteralMatch } from './text-filter.js';

export type StudyStatus = StudyRecord['status'];
export type StudyOrder = 'PRIORITY' | 'RECEIVED_DESC' | 'RECEIVED_ASC';

export interface StudyFilter {
  status?: StudyStatus[] | null;
  triage?: boolean | null;
  label?: HemorrhageLabel | null;
  reviewed?: boolean | null;
  from?: Date | null;
  to?: Date | null;
  search?: string | null;
}

export interface StudyListArgs {
  first?: number | null;
  after?: string | null;
  filter?: StudyFilter | null;
  orderBy?: StudyOrder | null;
}

export interface JobFailure {
  code: string | null;
  message: string;
  attempts: number;
}

const MAX_PAGE = 100;

// Keyset positions: the ordering's sort keys of the last row served. `o` ties a cursor to its ordering.
const priorityCursor = z.strictObject({
  o: z.literal('P'),
  p: z.number().int(),
  r: z.number().int(),
  i: z.string().min(1).max(64),
});
const receivedCursor = (o: 'D' | 'A') =>
  z.strictObject({ o: z.literal(o), r: z.number().int(), i: z.string().min(1).max(64) });

function cursorFor(order: StudyOrder, s: StudyRecord): string {
  const r = s.receivedAt.getTime();
  if (order === 'PRIORITY') return encodeCursor({ o: 'P', p: s.priority, r, i: s.id });
  return encodeCursor({ o: order === 'RECEIVED_DESC' ? 'D' : 'A', r, i: s.id });
}

function orderByFor(order: StudyOrder): Prisma.StudyOrderByWithRelationInput[] {
  if (order === 'PRIORITY') return [{ priority: 'desc' }, { receivedAt: 'asc' }, { id: 'asc' }];
  const dir = order === 'RECEIVED_DESC' ? 'desc' : 'asc';
  return [{ receivedAt: dir }, { id: dir }];
}

/** The keyset position a cursor names, checked against the ordering it must belong to. */
function decodePosition(order: StudyOrder, cursor: string): WorklistPosition {
  if (order === 'PRIORITY') {
    const c = decodeCursor(cursor, priorityCursor);
    return { priority: c.p, receivedAt: new Date(c.r), id: c.i };
  }
  const c = decodeCursor(cursor, receivedCursor(order === 'RECEIVED_DESC' ? 'D' : 'A'));
  return { receivedAt: new Date(c.r), id: c.i };
}

/** Rows strictly after the position in the given ordering (the Prisma form of worklist-query's keyset condition). */
function afterPosition(order: StudyOrder, position: WorklistPosition): Prisma.StudyWhereInput {
  const r = position.receivedAt;
  if (order === 'PRIORITY') {
    const p = position.priority as number;
    return {
      OR: [
        { priority: { lt: p } },
        { priority: p, receivedAt: { gt: r } },
        { priority: p, receivedAt: r, id: { gt: position.id } },
      ],
    };
  }
  return order === 'RECEIVED_DESC'
    ? { OR: [{ receivedAt: { lt: r } }, { receivedAt: r, id: { lt: position.id } }] }
    : { OR: [{ receivedAt: { gt: r } }, { receivedAt: r, id: { gt: position.id } }] };
}

export interface SeriesInstance {
  id: string;
  sopInstanceUid: string;
  instanceNumber: number | null;
  position: number | null;
  sliceIndex: number | null;
  rows: number;
  columns: number;
}

export class StudyService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
    private readonly loaders: Loaders,
  ) {}

  /**
   * The filter validated once, with its text patterns escaped for the provider (PostgreSQL; SQLite keeps the text
   * as typed, which each path then matches literally): both query paths start here.
   */
  private worklistFilter(filter: StudyFilter | null | undefined): WorklistFilter {
    if (!filter) return {};
    const search = checkText(filter.search?.trim(), 'filter.search', 200);
    const provider = this.deps.provider;
    const out: WorklistFilter = {};
    if (filter.status && filter.status.length > 0) out.status = filter.status;
    if (filter.triage !== null && filter.triage !== undefined) out.triage = filter.triage;
    if (filter.reviewed !== null && filter.reviewed !== undefined) out.reviewed = filter.reviewed;
    if (filter.label) out.labelContains = containsText(provider, storedLabel(filter.label)).contains;
    if (filter.from) out.from = filter.from;
    if (filter.to) out.to = filter.to;
    if (search) out.searchContains = containsText(provider, search).contains;
    return out;
  }

  private async where(filter: WorklistFilter): Promise<Prisma.StudyWhereInput> {
    const and: Prisma.StudyWhereInput[] = [];
    const contains = (pattern: string) => this.containsPattern(pattern);
    if (filter.status) and.push({ status: { in: [...filter.status] as StudyStatus[] } });
    if (filter.triage !== undefined) and.push({ triage: filter.triage });
    if (filter.reviewed !== undefined) and.push({ reviewed: filter.reviewed });
    if (filter.labelContains !== undefined) and.push({ positiveLabels: contains(filter.labelContains) });
    if (filter.from) and.push({ receivedAt: { gte: filter.from } });
    if (filter.to) and.push({ receivedAt: { lt: filter.to } });
    const search = filter.searchContains;
    if (search !== undefined && needsLiteralMatch(this.deps.provider, search)) {
      const ids = await literalMatches(
        this.deps.prisma,
        Prisma.sql`"Study" s JOIN "Patient" p ON p."id" = s."patientId"`,
        Prisma.sql`s."id"`,
        [Prisma.sql`p."name"`, Prisma.sql`p."patientId"`, Prisma.sql`s."accessionNumber"`, Prisma.sql`s."description"`],
        search,
      );
      and.push({ id: { in: ids } });
    } else if (search !== undefined) {
      const text = contains(search);
      and.push({
        OR: [
          { patient: { is: { name: text } } },
          { patient: { is: { patientId: text } } },
          { accessionNumber: text },
          { description: text },
        ],
      });
    }
    return and.length > 0 ? { AND: and } : {};
  }

  /** An already escaped pattern as a Prisma `contains` (case-insensitive on PostgreSQL, as containsText builds it). */
  private containsPattern(pattern: string): { contains: string } {
    return this.deps.provider === 'postgresql'
      ? ({ contains: pattern, mode: 'insensitive' } as { contains: string })
      : { contains: pattern };
  }

  /**
   * The worklist. Every page served is audited with the ids of the studies it exposed.
   *
   * With a SQL reader (WORKLIST_FAST_PATH, the default) the page is one prepared statement that also brings each
   * study's patient, latest prediction and model version; those prime this request's loaders, so the field
   * resolvers (which still authorize every field) find them without another query. Without one, Prisma reads the
   * studies and the loaders fetch the rest (the reference path).
   */
  async list(args: StudyListArgs): Promise<Connection<StudyRecord>> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const take = pageSize(args.first, 25, MAX_PAGE);
    const order = args.orderBy ?? 'PRIORITY';
    const filter = this.worklistFilter(args.filter);
    const position = args.after ? decodePosition(order, args.after) : null;
    const { prisma, audit, worklist } = this.deps;
    let rows: StudyRecord[];
    let count: () => Promise<number>;
    if (worklist) {
      const page = await readWorklistPage(worklist, { filter, order, after: position, limit: take + 1 });
      rows = page.map((row) => {
        this.loaders.patientById.prime(row.patient.id, row.patient);
        this.loaders.latestPredictionByStudyId.prime(row.study.id, row.prediction);
        if (row.modelVersion) this.loaders.modelVersionById.prime(row.modelVersion.id, row.modelVersion);
        return row.study;
      });
      count = () => countWorklist(worklist, filter);
    } else {
      const where = await this.where(filter);
      rows = await prisma.study.findMany({
        where: position ? { AND: [where, afterPosition(order, position)] } : where,
        orderBy: orderByFor(order),
        take: take + 1,
      });
      count = () => prisma.study.count({ where });
    }
    const connection = toConnection(rows, take, position !== null, (s) => cursorFor(order, s), count);
    await audit.append(actorOf(this.caller), {
      action: 'study.list',
      resourceType: 'Study',
      details: {
        studyIds: connection.edges.map((e) => e.node.id),
        // Whose records were on the page: auditEvents(filter: { patientId }) finds worklist views through these.
        patientIds: [...new Set(connection.edges.map((e) => e.node.patientId))],
        filter: args.filter ?? {},
        orderBy: order,
      },
    });
    return connection;
  }

  /** One study. Misses are audited too (outcome FAILURE): probing for ids is worth knowing about. */
  async get(id: string): Promise<StudyRecord | null> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    checkId(id);
    const study = await this.deps.prisma.study.findUnique({ where: { id } });
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'study.read',
      outcome: study ? 'SUCCESS' : 'FAILURE',
      resourceType: 'Study',
      resourceId: id,
      studyId: study?.id ?? null,
      patientId: study?.patientId ?? null,
    });
    return study;
  }

  /** Queues a new inference for a study that has finished arriving and has no job waiting or running. */
  async reprocess(id: string): Promise<StudyRecord> {
    authorize(this.caller.principal, { scope: 'write:studies' });
    checkId(id);
    const { prisma, audit } = this.deps;
    const study = await prisma.study.findUnique({ where: { id } });
    if (!study) throw new AppError('NOT_FOUND', 'No such study.', { id });
    if (study.status === 'RECEIVING') throw new AppError('CONFLICT', 'The study is still receiving files.');
    if (study.status === 'NOT_ELIGIBLE')
      throw new AppError('CONFLICT', `The study cannot be analysed: ${study.notEligibleReason ?? 'not eligible'}.`);
    const active = await prisma.inferenceJob.count({ where: { studyId: id, status: { in: ['QUEUED', 'RUNNING'] } } });
    if (active > 0) throw new AppError('CONFLICT', 'The study is already queued or being processed.');
    const updated = await audit.change(async (tx, record) => {
      const queued = await enqueueStudyAnalysis(tx, id);
      record(actorOf(this.caller), {
        action: 'study.reprocess',
        resourceType: 'InferenceJob',
        resourceId: queued.jobId,
        studyId: id,
        patientId: study.patientId,
      });
      return tx.study.findUniqueOrThrow({ where: { id } });
    });
    this.deps.events.publish({ kind: 'STATUS', studyId: id, status: updated.status, at: new Date().toISOString() });
    return updated;
  }

  /**
   * Live changes of one study (`studyUpdated`). Subscribing is a read of the study (audited like `study(id)`); each
   * delivery reads it again through get(), so every event a client receives is authorized and audited.
   */
  async watchStudy(id: string): Promise<AsyncIterableIterator<StudyEvent>> {
    const study = await this.get(id);
    if (!study) throw new AppError('NOT_FOUND', 'No such study.', { id });
    return streamEvents(this.deps.events, (event) => event.studyId === id);
  }

  /** The worklist feed (`worklistUpdated`): arrivals, status changes and results of every study. */
  watchWorklist(): AsyncIterableIterator<StudyEvent> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return streamEvents(this.deps.events, () => true);
  }

  /** The study an event is about, read (and audited) for the subscriber; NOT_FOUND once it is deleted. */
  async eventStudy(event: StudyEvent): Promise<StudyRecord> {
    const study = await this.get(event.studyId);
    if (!study) throw new AppError('NOT_FOUND', 'No such study.', { id: event.studyId });
    return study;
  }

  /**
   * A study's own clinical fields (accession number, date, description, scores, triage): a mutation such as
   * reprocessStudy returns the study to a token that may write but not read, so these fields check read:studies
   * themselves; id, UIDs and status stay visible to whoever may act on the study.
   */
  readable(study: StudyRecord): StudyRecord {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return study;
  }

  // Field accessors for study sub-objects: the study itself was authorized and audited by the query that returned it;
  // each accessor still checks the principal so no path reaches patient data without one.

  async patientOf(study: StudyRecord): Promise<PatientRecord> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const patient = await this.loaders.patientById.load(study.patientId);
    if (!patient) throw new AppError('INTERNAL', 'A study refers to a missing patient.');
    return patient;
  }

  async seriesOf(study: StudyRecord): Promise<SeriesRecord[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.seriesByStudyId.load(study.id);
  }

  async instanceCountOf(series: SeriesRecord): Promise<number> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.instanceCountBySeriesId.load(series.id);
  }

  /** Only the fields a viewer needs; storage keys and hashes stay inside the API. */
  async instancesOf(series: SeriesRecord): Promise<SeriesInstance[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const rows = await this.deps.prisma.instance.findMany({
      where: { seriesId: series.id },
      select: {
        id: true,
        sopInstanceUid: true,
        instanceNumber: true,
        position: true,
        sliceIndex: true,
        rows: true,
        columns: true,
      },
    });
    const last = Number.MAX_SAFE_INTEGER;
    return rows.sort(
      (a, b) =>
        (a.sliceIndex ?? last) - (b.sliceIndex ?? last) || (a.instanceNumber ?? last) - (b.instanceNumber ?? last),
    );
  }

  async predictionOf(study: StudyRecord): Promise<StudyPredictionRecord | null> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.latestPredictionByStudyId.load(study.id);
  }

  async failureOf(study: StudyRecord): Promise<JobFailure | null> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    if (study.status !== 'FAILED') return null;
    const job: InferenceJobRecord | null = await this.loaders.latestJobByStudyId.load(study.id);
    if (job?.status !== 'FAILED') return null;
    return { code: job.errorCode, message: job.error ?? 'Inference failed.', attempts: job.attempts };
  }

  async reviewsOf(study: StudyRecord): Promise<ReviewRecord[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.reviewsByStudyId.load(study.id);
  }

  /** Per-slice results in slice order (head to foot), as the viewer's probability track needs them. */
  async slicesOf(prediction: StudyPredictionRecord): Promise<SlicePredictionRecord[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.slicesByPredictionId.load(prediction.id);
  }

  async modelVersionOf(prediction: StudyPredictionRecord): Promise<ModelVersionRecord> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const model = await this.loaders.modelVersionById.load(prediction.modelVersionId);
    if (!model) throw new AppError('INTERNAL', 'A prediction refers to a missing model version.');
    return model;
  }
}
