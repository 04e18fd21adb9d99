import { AppError, type ErrorCode } from '@ich/errors';
import type { Request } from 'express';
import type { FileOutcome, IncomingFile } from '../ingest/ingest-service.js';
import type { IntakePool } from '../ingest/intake-pool.js';
import type { ContentStore } from '../storage/content-store.js';
import type { DicomJson } from './dicom-json.js';
import { parseContentType, readParts } from './multipart-related.js';
import { receiveStowJson } from './stow-json.js';

/**
 * Failure reasons (PS3.18 Table 10.5.3-1 / PS3.4 C.4.2.1.4) for each of the product's file codes, so a PACS log names
 * the same problem the product's own answer does.
 */
const FAILURE_REASON: Partial<Record<ErrorCode, number>> = {
  NOT_DICOM: 0xc000, // Error: cannot understand
  BAD_DICOM: 0xc000,
  TRUNCATED: 0xc000,
  NO_PIXEL_DATA: 0x0122, // SOP class not supported (no image)
  UNSUPPORTED_PHOTOMETRIC: 0x0122,
  UNSUPPORTED_PIXEL_FORMAT: 0x0122,
  UNSUPPORTED_TRANSFER_SYNTAX: 0xc122, // Referenced Transfer Syntax not supported
  CONFLICT: 0x0111, // Duplicate SOP Instance (with other content)
  BAD_USER_INPUT: 0xa900, // Data set does not match (e.g. the study of the request)
  PAYLOAD_TOO_LARGE: 0xa700, // Out of resources
  FILE_TOO_LARGE: 0xa700,
  STORAGE_FULL: 0xa700,
};
const PROCESSING_FAILURE = 0x0110;
const IN_MEMORY_PART_BYTES = 16 * 1024 * 1024;
/** Parts handed to the intake threads and not yet back: at most this many, and at most this many bytes. */
const IN_FLIGHT_PARTS = 32;
const IN_FLIGHT_BYTES = 64 * 1024 * 1024;

export interface StowDeps {
  store: ContentStore;
  intake: IntakePool;
}

/**
 * Reads a STOW-RS body (multipart/related; type="application/dicom") part by part into temporary files within the
 * byte limit (the JSON metadata + bulk data form goes to stow-json.ts). Parts of another type are failures of their own; a body that is not multipart/related is 415.
 */
export async function receiveStow(
  req: Request,
  { store, intake }: StowDeps,
  maxBytes: number,
): Promise<{ files: IncomingFile[]; refused: FileOutcome[] }> {
  const ct = parseContentType(req.headers['content-type']);
  if (ct.type !== 'multipart/related')
    throw new AppError('UNSUPPORTED_TRANSFER_SYNTAX', 'STOW-RS needs multipart/related; type="application/dicom"');
  const type = (ct.params['type'] ?? 'application/dicom').toLowerCase();
  if (type !== 'application/dicom' && type !== 'application/dicom+json')
    throw new AppError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `multipart/related type "${type}" is not supported; send application/dicom parts (or application/dicom+json metadata with bulk data)`,
    );
  const boundary = ct.params['boundary'];
  if (!boundary) throw new AppError('BAD_USER_INPUT', 'the multipart/related Content-Type has no boundary');
  if (type === 'application/dicom+json') return receiveStowJson(readParts(req, boundary), { intake }, maxBytes);
  const slots: Array<IncomingFile | null> = [];
  const refused: FileOutcome[] = [];
  let remaining = maxBytes;
  const inflight = new Set<Promise<void>>();
  let inflightBytes = 0;
  const inMemoryPartBytes = Math.min(IN_MEMORY_PART_BYTES, intake.maxFileBytes);
  let failure: unknown = null;
  try {
    let n = 0;
    for await (const part of readParts(req, boundary)) {
      n += 1;
      const partType = parseContentType(part.headers['content-type'] ?? 'application/dicom').type;
      if (partType !== 'application/dicom') {
        refused.push({
          file: `part ${n}`,
          status: 'rejected',
          code: 'BAD_USER_INPUT',
          message: `part of type ${partType}; only application/dicom is stored`,
          studyInstanceUid: null,
          sopInstanceUid: null,
          sopClassUid: null,
        });
        continue;
      }
      const name = `part ${n}`;
      const slot = slots.length;
      slots.push(null);
      // A part up to IN_MEMORY_PART_BYTES is read whole and handed to the intake threads, which store it while the
      // next parts arrive, so the disk works in parallel with the network; a larger part streams straight to disk.
      const iterator = part.body[Symbol.asyncIterator]();
      const head: Buffer[] = [];
      let headBytes = 0;
      let finished = false;
      while (headBytes <= inMemoryPartBytes) {
        const r = await iterator.next();
        if (r.done) {
          finished = true;
          break;
        }
        head.push(r.value);
        headBytes += r.value.length;
        if (headBytes > remaining)
          throw new AppError('PAYLOAD_TOO_LARGE', `the request is larger than MAX_UPLOAD_MB (${maxBytes} bytes)`);
      }
      if (!finished) {
        const rest = { [Symbol.asyncIterator]: () => iterator };
        const temp = await store.writeTemp(
          (async function* () {
            yield* head;
            yield* rest;
          })(),
          remaining,
          { sync: true },
        );
        remaining -= temp.sizeBytes;
        slots[slot] = { name, temp };
        continue;
      }
      remaining -= headBytes;
      // The part's bytes are views of the request's chunks: an intake thread takes them in (parse, write, fsync,
      // commit what parsed) while the next parts arrive, so the service neither reads back nor waits.
      inflightBytes += headBytes;
      const write: Promise<void> = intake
        .take(head)
        .then((taken) => {
          slots[slot] = { name, ...taken };
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => {
          inflightBytes -= headBytes;
          inflight.delete(write);
        });
      inflight.add(write);
      while (inflight.size >= IN_FLIGHT_PARTS || inflightBytes >= IN_FLIGHT_BYTES) await Promise.race(inflight);
      if (failure) throw failure;
    }
    await Promise.all(inflight);
    if (failure) throw failure;
  } catch (error) {
    await Promise.all(inflight);
    await Promise.all(slots.map((f) => (f ? store.discard(f.temp) : undefined)));
    throw error;
  }
  const files = slots.filter((f): f is IncomingFile => f !== null);
  return { files, refused };
}

/** The STOW-RS answer: 200 all stored, 202 some stored, 409 none stored (PS3.18 10.5.3). */
export function stowResponse(outcomes: readonly FileOutcome[], base: string): { status: number; body: DicomJson } {
  const referenced: DicomJson[] = [];
  const failed: DicomJson[] = [];
  for (const o of outcomes) {
    if (o.status === 'rejected') {
      const item: DicomJson = {};
      if (o.sopClassUid) item['00081150'] = { vr: 'UI', Value: [o.sopClassUid] };
      if (o.sopInstanceUid) item['00081155'] = { vr: 'UI', Value: [o.sopInstanceUid] };
      item['00081197'] = { vr: 'US', Value: [FAILURE_REASON[o.code] ?? PROCESSING_FAILURE] };
      failed.push(item);
    } else {
      referenced.push({
        '00081150': { vr: 'UI', Value: [o.sopClassUid] },
        '00081155': { vr: 'UI', Value: [o.sopInstanceUid] },
        '00081190': {
          vr: 'UR',
          Value: [`${base}/studies/${o.studyInstanceUid}/series/${o.seriesInstanceUid}/instances/${o.sopInstanceUid}`],
        },
      });
    }
  }
  const body: DicomJson = {};
  const studies = new Set(outcomes.flatMap((o) => (o.status !== 'rejected' ? [o.studyInstanceUid] : [])));
  if (studies.size === 1) body['00081190'] = { vr: 'UR', Value: [`${base}/studies/${[...studies][0]}`] };
  if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
  const status = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
  return { status, body };
}
