import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { AppError } from '@ich/errors';
import busboy from 'busboy';
import { type Request, Router } from 'express';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { FileOutcome, IncomingFile, IngestResult, IngestService, RejectedFile } from '../ingest/ingest-service.js';
import { extractZip, isZipName } from '../ingest/unzip.js';
import type { ContentStore } from '../storage/content-store.js';

export interface UploadDeps {
  servicesFor(req: Request): Promise<{ caller: Caller }>;
  ingest: IngestService;
  store: ContentStore;
  maxUploadBytes: number;
}

/** Zip entries of one request may expand to this many times MAX_UPLOAD_MB in total. */
const ZIP_EXPANSION_FACTOR = 4;
const MAX_PARTS = 20_000;

/**
 * `POST /api/uploads`: multipart/form-data, field `files`, any number of DICOM files and zip archives. The body is
 * streamed file by file into temporary files under STORAGE_DIR (never held in memory) within MAX_UPLOAD_MB, zip
 * archives are extracted entry by entry with their own safety checks, and everything goes through the one ingest
 * service. The answer lists each study with its accepted, duplicate and rejected files, plus files that named no
 * study; 200 when anything was stored or already known, 422 when every file was refused.
 */
export function uploadsRouter(deps: UploadDeps): Router {
  const router = Router();
  router.post('/api/uploads', async (req, res, next) => {
    let received: IncomingFile[] = [];
    try {
      const { caller } = await deps.servicesFor(req);
      authorize(caller.principal, { scope: 'write:uploads' });
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > deps.maxUploadBytes + 64 * 1024)
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `the upload is larger than MAX_UPLOAD_MB (${deps.maxUploadBytes} bytes)`,
        );
      const parts = await receive(req, deps.store, deps.maxUploadBytes);
      received = parts.files;
      const files: IncomingFile[] = [];
      const refused: RejectedFile[] = [...parts.rejected];
      const budget = { remaining: deps.maxUploadBytes * ZIP_EXPANSION_FACTOR };
      for (const f of parts.files) {
        if (!isZipName(f.name) && (/\.dcm$/i.test(f.name) || !(await startsWithZipMagic(f)))) {
          files.push(f);
          continue;
        }
        const unzipped = await extractZip(f.temp.path, f.name, deps.store, { budget });
        await deps.store.discard(f.temp);
        files.push(...unzipped.files);
        refused.push(...unzipped.rejected);
      }
      received = files;
      const result = await deps.ingest.ingest(actorOf(caller), files, { mode: 'upload', via: 'upload' });
      received = [];
      const rejected = [...refused, ...result.unassigned];
      const stored = result.studies.some((s) => s.accepted + s.duplicates > 0);
      res
        .status(stored ? 200 : 422)
        .setHeader('Cache-Control', 'no-store')
        .json({ studies: withFiles(result), rejected });
    } catch (error) {
      await Promise.all(received.map((f) => deps.store.discard(f.temp)));
      // A request refused before its body was read: close the connection rather than read a large body.
      if (!req.complete) res.setHeader('Connection', 'close');
      next(error);
    }
  });
  return router;
}

/** One file of a study in the upload answer, in request order (zip entries as `archive.zip/entry/path`). */
export interface UploadFileStatus {
  file: string;
  sopInstanceUid: string | null;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  code?: string;
  message?: string;
}

/** Adds to each study the per-file outcomes of its files; files that named no study stay in `rejected`. */
function withFiles(result: IngestResult) {
  const byStudy = new Map<string, UploadFileStatus[]>();
  for (const o of result.files) {
    if (!o.studyInstanceUid) continue;
    const list = byStudy.get(o.studyInstanceUid) ?? [];
    list.push(fileStatus(o));
    byStudy.set(o.studyInstanceUid, list);
  }
  return result.studies.map((s) => ({ ...s, files: byStudy.get(s.studyInstanceUid) ?? [] }));
}

function fileStatus(o: FileOutcome): UploadFileStatus {
  if (o.status === 'rejected')
    return { file: o.file, sopInstanceUid: o.sopInstanceUid, status: 'REJECTED', code: o.code, message: o.message };
  return { file: o.file, sopInstanceUid: o.sopInstanceUid, status: o.status === 'accepted' ? 'ACCEPTED' : 'DUPLICATE' };
}

interface Received {
  files: IncomingFile[];
  rejected: RejectedFile[];
}

/** Streams each `files` part of a multipart/form-data body into a temporary file, in order. */
function receive(req: Request, store: ContentStore, maxBytes: number): Promise<Received> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type))
    return Promise.reject(
      new AppError('BAD_USER_INPUT', 'send multipart/form-data with the files in the field "files"'),
    );
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers as IncomingHttpHeaders,
        limits: { files: MAX_PARTS, fields: 100, fileSize: maxBytes },
      });
    } catch (error) {
      reject(new AppError('BAD_USER_INPUT', `bad multipart body: ${(error as Error).message}`));
      return;
    }
    const files: IncomingFile[] = [];
    const rejected: RejectedFile[] = [];
    let remaining = maxBytes;
    let failure: unknown = null;
    // Parts are written one after the other, in the order they arrive; the chain keeps that order.
    let chain: Promise<void> = Promise.resolve();
    const open = new Set<Readable>();
    parser.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
      if (field !== 'files' || failure) {
        stream.resume();
        if (!failure && field !== 'files')
          rejected.push({
            file: info.filename || field,
            code: 'BAD_USER_INPUT',
            message: `unexpected field "${field}"; use "files"`,
          });
        return;
      }
      const name = info.filename || `file-${files.length + rejected.length + 1}`;
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      chain = chain.then(async () => {
        if (failure) {
          stream.resume();
          return;
        }
        try {
          const temp = await store.writeTemp(stream, remaining);
          remaining -= temp.sizeBytes;
          files.push({ name, temp });
        } catch (error) {
          failure = error;
          stream.resume();
        }
      });
      // busboy's own fileSize limit truncates silently; treat it as the whole request being too large.
      stream.on('limit', () => {
        failure ??= new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than MAX_UPLOAD_MB (${maxBytes} bytes)`);
      });
    });
    parser.on('filesLimit', () => {
      failure ??= new AppError('PAYLOAD_TOO_LARGE', `more than ${MAX_PARTS} files in one upload`);
    });
    const finish = (error?: unknown) => {
      chain.then(async () => {
        const problem = error ?? failure;
        if (problem) {
          await Promise.all(files.map((f) => store.discard(f.temp)));
          reject(
            problem instanceof AppError || (problem as AppError)?.code
              ? problem
              : new AppError('BAD_USER_INPUT', `bad multipart body: ${(problem as Error).message}`),
          );
          return;
        }
        resolve({ files, rejected });
      });
    };
    parser.on('close', () => finish());
    parser.on('error', (error: unknown) => finish(error));
    // A client that goes away mid-body leaves busboy waiting for bytes that never come: end the open file streams so
    // the temporary files are removed and the request settles.
    req.once('close', () => {
      if (req.complete) return;
      const aborted = new AppError('BAD_USER_INPUT', 'the client aborted the upload');
      failure ??= aborted;
      for (const stream of open) stream.destroy(aborted);
      finish(aborted);
    });
    req.pipe(parser);
  });
}

async function startsWithZipMagic(f: IncomingFile): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  const handle = await open(f.temp.path, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return head.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}
