import { AppError } from '@ich/errors';
import type { Prisma } from '@ich/prisma';
import { type Request, type Response, Router } from 'express';
import { type AuditLog, actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import type { Db } from '../db/records.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { IntakePool } from '../ingest/intake-pool.js';
import { log } from '../log/logger.js';
import type { ContentStore } from '../storage/content-store.js';
import { dicomWebCaller } from './auth.js';
import { type DicomJson, headerJson, instanceMetadata } from './dicom-json.js';
import { extraAttributes, needsHeader } from './include-fields.js';
import { da, el, instanceWhere, type Level, parseQido, type QidoQuery, seriesWhere, studyWhere, tm } from './qido.js';
import { receiveStow, stowResponse } from './stow.js';
import { decodedFrames, EXPLICIT_VR_LITTLE_ENDIAN, frameFormat, MultipartWriter, parseFrameList } from './wado.js';

export interface DicomWebDeps {
  servicesFor(req: Request): Promise<{ caller: Caller }>;
  ingest: IngestService;
  store: ContentStore;
  /** Takes in STOW-RS parts (parse, durable write, commit) on worker threads. */
  intake: IntakePool;
  audit: AuditLog;
  prisma: Db;
  maxUploadBytes: number;
}

const DICOM_JSON = 'application/dicom+json';
const UID = /^[0-9.]{1,64}$/;

/**
 * DICOMweb (PS3.18) under /dicom-web: STOW-RS stores through the one ingest path, QIDO-RS searches the database,
 * WADO-RS serves stored instances, their metadata and decoded frames. Every store is audited as `study.import`
 * (by the ingest service), every search as `dicomweb.search` and every retrieval as `dicomweb.retrieve`, a PHI read.
 */
export function dicomWebRouter(deps: DicomWebDeps): Router {
  const router = Router();
  const base = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}`;
  const route =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response, next: (e?: unknown) => void) => {
      try {
        res.setHeader('Cache-Control', 'no-store');
        await handler(req, res);
      } catch (error) {
        if (res.headersSent) {
          // A warning, not an error: a client that goes away mid-response (a viewer cancelling a retrieval) ends
          // here too, as a write to a destroyed socket.
          log.warn('DICOMweb response failed mid-stream', error);
          res.destroy();
          return;
        }
        next(error);
      }
    };

  // STOW-RS
  const stow = route(async (req, res) => {
    const { caller } = await dicomWebCaller(deps, req, res, 'write');
    const studyUid = optionalParam(req, 'study');
    if (studyUid !== undefined) checkUid(studyUid);
    const { files, refused } = await receiveStow(req, deps, deps.maxUploadBytes);
    if (files.length + refused.length === 0) throw new AppError('BAD_USER_INPUT', 'the request holds no instance');
    const result = await deps.ingest.ingest(actorOf(caller), files, {
      mode: 'stow',
      via: 'stow-rs',
      ...(studyUid ? { studyInstanceUid: studyUid } : {}),
    });
    const { status, body } = stowResponse([...result.files, ...refused], base(req));
    res.status(status).type(DICOM_JSON).send(JSON.stringify(body));
  });
  router.post('/studies', stow);
  router.post('/studies/:study', stow);

  // QIDO-RS
  router.get(
    '/studies',
    route(async (req, res) => {
      const { caller } = await dicomWebCaller(deps, req, res, 'read');
      const q = parseQido(req.query, 'study');
      const studies = await deps.prisma.study.findMany({
        where: studyWhere(q.match),
        include: { patient: true, series: { select: { modality: true, _count: { select: { instances: true } } } } },
        orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
        skip: q.offset,
        take: q.limit,
      });
      await auditSearch(
        deps,
        caller,
        'study',
        q,
        studies.map((s) => s.id),
      );
      const url = base(req);
      const rows: DicomJson[] = studies.map((s) => ({
        '00080020': el('DA', da(s.studyDate)),
        '00080030': el('TM', tm(s.studyDate)),
        '00080050': el('SH', s.accessionNumber),
        '00080061': { vr: 'CS', Value: [...new Set(s.series.map((x) => x.modality))] },
        '00081030': el('LO', s.description),
        '00081190': el('UR', `${url}/studies/${s.studyInstanceUid}`),
        '00100010': el('PN', s.patient.name),
        '00100020': el('LO', s.patient.patientId),
        '00100030': el('DA', s.patient.birthDate),
        '00100040': el('CS', s.patient.sex),
        '0020000D': el('UI', s.studyInstanceUid),
        '00201206': el('IS', s.series.length),
        '00201208': el(
          'IS',
          s.series.reduce((n, x) => n + x._count.instances, 0),
        ),
      }));
      const firstOf = (n: number) => firstInstanceKey(deps, { series: { studyId: studies[n]!.id } });
      sendJson(res, q, await withIncludedFields(deps, 'study', q, rows, firstOf));
    }),
  );

  router.get(
    '/studies/:study/series',
    route(async (req, res) => {
      const { caller } = await dicomWebCaller(deps, req, res, 'read');
      const study = await findStudy(deps, param(req, 'study'));
      const q = parseQido(req.query, 'series');
      const series = await deps.prisma.series.findMany({
        where: { AND: [{ studyId: study.id }, seriesWhere(q.match)] },
        include: { _count: { select: { instances: true } } },
        orderBy: [{ seriesNumber: 'asc' }, { createdAt: 'asc' }],
        skip: q.offset,
        take: q.limit,
      });
      await auditSearch(deps, caller, 'series', q, [study.id], study.patientId);
      const url = base(req);
      const rows: DicomJson[] = series.map((s) => ({
        '00080060': el('CS', s.modality),
        '0008103E': el('LO', s.description),
        '00081190': el('UR', `${url}/studies/${study.studyInstanceUid}/series/${s.seriesInstanceUid}`),
        '0020000D': el('UI', study.studyInstanceUid),
        '0020000E': el('UI', s.seriesInstanceUid),
        '00200011': el('IS', s.seriesNumber),
        '00201209': el('IS', s._count.instances),
      }));
      const firstOf = (n: number) => firstInstanceKey(deps, { seriesId: series[n]!.id });
      sendJson(res, q, await withIncludedFields(deps, 'series', q, rows, firstOf));
    }),
  );

  router.get(
    '/studies/:study/series/:series/instances',
    route(async (req, res) => {
      const { caller } = await dicomWebCaller(deps, req, res, 'read');
      const study = await findStudy(deps, param(req, 'study'));
      const series = await findSeries(deps, study.id, param(req, 'series'));
      const q = parseQido(req.query, 'instance');
      const instances = await deps.prisma.instance.findMany({
        where: { AND: [{ seriesId: series.id }, instanceWhere(q.match)] },
        orderBy: [{ sliceIndex: 'asc' }, { instanceNumber: 'asc' }],
        skip: q.offset,
        take: q.limit,
      });
      await auditSearch(deps, caller, 'instance', q, [study.id], study.patientId);
      const url = `${base(req)}/studies/${study.studyInstanceUid}/series/${series.seriesInstanceUid}`;
      const rows: DicomJson[] = instances.map((i) => ({
        '00080016': el('UI', i.sopClassUid),
        '00080018': el('UI', i.sopInstanceUid),
        '00083002': el('UI', i.transferSyntaxUid),
        '00081190': el('UR', `${url}/instances/${i.sopInstanceUid}`),
        '0020000D': el('UI', study.studyInstanceUid),
        '0020000E': el('UI', series.seriesInstanceUid),
        '00200013': el('IS', i.instanceNumber),
        '00280010': el('US', i.rows),
        '00280011': el('US', i.columns),
      }));
      const own = async (n: number) => instances[n]!.storageKey;
      sendJson(res, q, await withIncludedFields(deps, 'instance', q, rows, own));
    }),
  );

  // WADO-RS: instances (original bytes), metadata, frames.
  const instancesIn = async (req: Request) => {
    const study = await findStudy(deps, param(req, 'study'));
    const seriesUid = optionalParam(req, 'series');
    const series = seriesUid ? await findSeries(deps, study.id, seriesUid) : null;
    const sopUid = optionalParam(req, 'instance');
    if (sopUid !== undefined) checkUid(sopUid);
    const instances = await deps.prisma.instance.findMany({
      where: {
        series: { studyId: study.id },
        ...(series ? { seriesId: series.id } : {}),
        ...(sopUid ? { sopInstanceUid: sopUid } : {}),
      },
      include: { series: { select: { seriesInstanceUid: true } } },
      orderBy: [{ seriesId: 'asc' }, { sliceIndex: 'asc' }],
    });
    if (instances.length === 0) throw new AppError('NOT_FOUND', 'No such instance.');
    return { study, instances };
  };

  const retrieveInstances = route(async (req, res) => {
    const { caller } = await dicomWebCaller(deps, req, res, 'read');
    const { study, instances } = await instancesIn(req);
    await auditRetrieve(deps, caller, study, 'instances', instances.length);
    const out = new MultipartWriter(res, 'application/dicom');
    for (const i of instances) {
      await out.part(await deps.store.read(i.storageKey), {
        'Content-Type': `application/dicom; transfer-syntax=${i.transferSyntaxUid}`,
        'Content-Location': `${base(req)}/studies/${study.studyInstanceUid}/series/${i.series.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
      });
    }
    out.end();
  });
  router.get('/studies/:study', retrieveInstances);
  router.get('/studies/:study/series/:series', retrieveInstances);
  router.get('/studies/:study/series/:series/instances/:instance', retrieveInstances);

  const retrieveMetadata = route(async (req, res) => {
    const { caller } = await dicomWebCaller(deps, req, res, 'read');
    const { study, instances } = await instancesIn(req);
    await auditRetrieve(deps, caller, study, 'metadata', instances.length);
    const url = base(req);
    res.status(200).type(DICOM_JSON);
    res.write('[');
    for (const [n, i] of instances.entries()) {
      const frameUri = `${url}/studies/${study.studyInstanceUid}/series/${i.series.seriesInstanceUid}/instances/${i.sopInstanceUid}/frames/1`;
      const json: DicomJson = instanceMetadata(await deps.store.read(i.storageKey), frameUri);
      res.write(`${n > 0 ? ',' : ''}${JSON.stringify(json)}`);
    }
    res.end(']');
  });
  router.get('/studies/:study/metadata', retrieveMetadata);
  router.get('/studies/:study/series/:series/metadata', retrieveMetadata);
  router.get('/studies/:study/series/:series/instances/:instance/metadata', retrieveMetadata);

  router.get(
    '/studies/:study/series/:series/instances/:instance/frames/:frames',
    route(async (req, res) => {
      const { caller } = await dicomWebCaller(deps, req, res, 'read');
      const frames = parseFrameList(param(req, 'frames'));
      const format = frameFormat(req.headers.accept, frames.length);
      if (!format) {
        res.status(406).json({
          error: {
            code: 'BAD_USER_INPUT',
            message: 'frames are served as decoded pixels: accept multipart/related; type="application/octet-stream"',
          },
        });
        return;
      }
      const { study, instances } = await instancesIn(req);
      const instance = instances[0] as (typeof instances)[number];
      await auditRetrieve(deps, caller, study, 'frames', 1, { sopInstanceUid: instance.sopInstanceUid, frames });
      const pixels = await decodedFrames(deps.store, instance.storageKey, frames);
      if (format === 'single') {
        res
          .status(200)
          .type('application/octet-stream')
          .send(Buffer.from(pixels[0] as Uint8Array));
        return;
      }
      const out = new MultipartWriter(res, 'application/octet-stream');
      const location = `${base(req)}/studies/${study.studyInstanceUid}/series/${instance.series.seriesInstanceUid}/instances/${instance.sopInstanceUid}/frames`;
      for (const [n, p] of pixels.entries()) {
        await out.part(p, {
          'Content-Type': `application/octet-stream; transfer-syntax=${EXPLICIT_VR_LITTLE_ENDIAN}`,
          'Content-Location': `${location}/${frames[n]}`,
        });
      }
      out.end();
    }),
  );

  return router;
}

function optionalParam(req: Request, name: string): string | undefined {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : value;
}

function param(req: Request, name: string): string {
  const value = optionalParam(req, name);
  if (value === undefined) throw new AppError('BAD_USER_INPUT', `missing ${name} in the path`);
  return value;
}

function checkUid(uid: string): void {
  if (!UID.test(uid)) throw new AppError('BAD_USER_INPUT', `"${uid.slice(0, 70)}" is not a DICOM UID`);
}

async function findStudy(deps: DicomWebDeps, uid: string) {
  checkUid(uid);
  const study = await deps.prisma.study.findUnique({ where: { studyInstanceUid: uid } });
  if (!study) throw new AppError('NOT_FOUND', 'No such study.');
  return study;
}

async function findSeries(deps: DicomWebDeps, studyId: string, uid: string) {
  checkUid(uid);
  const series = await deps.prisma.series.findUnique({ where: { seriesInstanceUid: uid } });
  if (!series || series.studyId !== studyId) throw new AppError('NOT_FOUND', 'No such series in this study.');
  return series;
}

/** The storage key of the earliest stored instance matching `where` (a study's or a series' representative). */
async function firstInstanceKey(deps: DicomWebDeps, where: Prisma.InstanceWhereInput): Promise<string | null> {
  const first = await deps.prisma.instance.findFirst({
    where,
    select: { storageKey: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return first?.storageKey ?? null;
}

/**
 * Adds what `includefield` asks for and the database does not hold, read from each row's representative stored
 * header (one file per row, only when a requested attribute is missing from the default set).
 */
async function withIncludedFields(
  deps: DicomWebDeps,
  level: Level,
  q: QidoQuery,
  rows: DicomJson[],
  storageKeyOf: (index: number) => Promise<string | null>,
): Promise<DicomJson[]> {
  const out: DicomJson[] = [];
  for (const [n, row] of rows.entries()) {
    if (!needsHeader(q.include, row)) {
      out.push(row);
      continue;
    }
    const key = await storageKeyOf(n);
    const header = key ? headerJson(await deps.store.read(key)) : {};
    out.push(sortedByTag({ ...row, ...extraAttributes(q.include, row, header, level) }));
  }
  return out;
}

/** DICOM JSON objects list attributes in tag order (PS3.18 F.2.1.1). */
function sortedByTag(json: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sendJson(res: Response, q: QidoQuery, body: DicomJson[]): void {
  if (q.ignored.length > 0)
    res.setHeader('Warning', `299 ich: "unsupported query parameters ignored: ${q.ignored.join(', ').slice(0, 200)}"`);
  res.status(200).type(DICOM_JSON).send(JSON.stringify(body));
}

async function auditSearch(
  deps: DicomWebDeps,
  caller: Caller,
  level: string,
  q: QidoQuery,
  studyIds: string[],
  patientId: string | null = null,
): Promise<void> {
  await deps.audit.append(actorOf(caller), {
    action: 'dicomweb.search',
    resourceType: 'Study',
    studyId: level === 'study' ? null : (studyIds[0] ?? null),
    patientId,
    details: { level, match: q.match, limit: q.limit, offset: q.offset, studyIds },
  });
}

async function auditRetrieve(
  deps: DicomWebDeps,
  caller: Caller,
  study: { id: string; patientId: string },
  what: 'instances' | 'metadata' | 'frames',
  count: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await deps.audit.append(actorOf(caller), {
    action: 'dicomweb.retrieve',
    resourceType: 'Study',
    resourceId: study.id,
    studyId: study.id,
    patientId: study.patientId,
    details: { what, instances: count, ...extra },
  });
}
