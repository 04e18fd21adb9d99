import { AppError, type ErrorCode } from '@ich/errors';
import dcmjs, { type DicomJsonDataset } from 'dcmjs';
import type { FileOutcome, IncomingFile } from '../ingest/ingest-service.js';
import type { IntakePool } from '../ingest/intake-pool.js';
import type { DicomJson } from './dicom-json.js';
import { parseContentType, type readParts } from './multipart-related.js';

/**
 * STOW-RS in its second form (PS3.18 10.5.1.2.2, "metadata and bulk data"): `multipart/related;
 * type="application/dicom+json"`, a first part holding a JSON array of instances in the DICOM JSON model, then bulk
 * data parts that the JSON names by BulkDataURI (matched to each part's Content-Location). Each instance becomes a
 * Part 10 file in Explicit VR Little Endian and then takes the one ingest path, exactly as a file sent as
 * `application/dicom` does. Bulk data must be native (application/octet-stream); compressed bulk data
 * (image/jls, …) is refused per instance as an unsupported transfer syntax.
 *
 * The JSON form cannot be streamed to disk part by part (an instance is complete only once the parts it references
 * have arrived), so the whole request is held in memory, capped at MAX_JSON_REQUEST_BYTES.
 */
export const MAX_JSON_REQUEST_BYTES = 256 * 1024 * 1024;

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This product's implementation class UID (a 2.25 UUID-derived root), written into the file meta it creates. */
const IMPLEMENTATION_CLASS_UID = '2.25.296189738563393364455313823734327829025';
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

type Element = DicomJson[string];
interface BulkPart {
  readonly type: string;
  readonly transferSyntax: string | undefined;
  readonly bytes: Buffer;
}

class InstanceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function receiveStowJson(
  parts: ReturnType<typeof readParts>,
  { intake }: { intake: IntakePool },
  maxBytes: number,
): Promise<{ files: IncomingFile[]; refused: FileOutcome[] }> {
  const limit = Math.min(maxBytes, MAX_JSON_REQUEST_BYTES);
  let total = 0;
  let metadata: unknown = null;
  const bulk = new Map<string, BulkPart>();
  let n = 0;
  for await (const part of parts) {
    n += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) {
      total += chunk.length;
      if (total > limit)
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `a STOW-RS request in the JSON form is held in memory and may not exceed ${limit} bytes; send application/dicom parts instead`,
        );
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    const ct = parseContentType(part.headers['content-type'] ?? 'application/octet-stream');
    if (n === 1) {
      if (ct.type !== 'application/dicom+json')
        throw new AppError('BAD_USER_INPUT', `the first part must be application/dicom+json, not ${ct.type}`);
      try {
        metadata = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new AppError('BAD_USER_INPUT', 'the first part is not valid JSON');
      }
      continue;
    }
    const location = part.headers['content-location'];
    if (!location) throw new AppError('BAD_USER_INPUT', `bulk data part ${n} has no Content-Location`);
    bulk.set(location.trim(), { type: ct.type, transferSyntax: ct.params['transfer-syntax'], bytes });
  }
  if (!Array.isArray(metadata)) throw new AppError('BAD_USER_INPUT', 'the metadata part must be a JSON array');

  const files: IncomingFile[] = [];
  const refused: FileOutcome[] = [];
  for (const [index, dataset] of metadata.entries()) {
    const name = `instance ${index + 1}`;
    const sopClassUid = stringValue(dataset, '00080016');
    const sopInstanceUid = stringValue(dataset, '00080018');
    const studyInstanceUid = stringValue(dataset, '0020000D');
    try {
      if (!sopClassUid || !sopInstanceUid)
        throw new InstanceError(
          'BAD_DICOM',
          'the dataset has no SOPClassUID (0008,0016) or SOPInstanceUID (0008,0018)',
        );
      const bytes = toPart10(dataset as DicomJson, bulk, { sopClassUid, sopInstanceUid });
      files.push({ name, ...(await intake.take([bytes])) });
    } catch (error) {
      if (!(error instanceof InstanceError)) throw error;
      refused.push({
        file: name,
        status: 'rejected',
        code: error.code,
        message: error.message,
        studyInstanceUid,
        sopInstanceUid,
        sopClassUid,
      });
    }
  }
  return { files, refused };
}

function stringValue(dataset: unknown, tag: string): string | null {
  if (typeof dataset !== 'object' || dataset === null) return null;
  const value = (dataset as DicomJson)[tag]?.Value?.[0];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** One instance of the JSON model, with its bulk data, as a Part 10 file in Explicit VR Little Endian. */
function toPart10(
  dataset: DicomJson,
  bulk: ReadonlyMap<string, BulkPart>,
  ids: { sopClassUid: string; sopInstanceUid: string },
): Buffer {
  const meta = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [ids.sopClassUid] },
    '00020003': { vr: 'UI', Value: [ids.sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [EXPLICIT_VR_LITTLE_ENDIAN] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
  };
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = convertDataset(dataset, bulk) as DicomJsonDataset;
  try {
    return Buffer.from(dict.write());
  } catch (cause) {
    throw new InstanceError(
      'BAD_DICOM',
      `the dataset cannot be encoded: ${String((cause as Error)?.message ?? cause)}`,
    );
  }
}

function convertDataset(dataset: DicomJson, bulk: ReadonlyMap<string, BulkPart>): Record<string, unknown> {
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset))
    throw new InstanceError('BAD_DICOM', 'a dataset must be a JSON object of tags');
  const out: Record<string, unknown> = {};
  for (const [rawTag, element] of Object.entries(dataset)) {
    const tag = rawTag.toUpperCase();
    if (!/^[0-9A-F]{8}$/.test(tag)) throw new InstanceError('BAD_DICOM', `"${rawTag.slice(0, 20)}" is not a tag`);
    // File meta is this product's to write; a group length would be wrong after re-encoding.
    if (tag.startsWith('0002') || tag.endsWith('0000')) continue;
    out[tag] = convertElement(tag, element, bulk);
  }
  return out;
}

function convertElement(tag: string, element: Element, bulk: ReadonlyMap<string, BulkPart>): unknown {
  if (typeof element !== 'object' || element === null || typeof element.vr !== 'string')
    throw new InstanceError('BAD_DICOM', `(${tag}) has no VR`);
  const vr = element.vr;
  if (vr === 'SQ') return { vr, Value: (element.Value ?? []).map((item) => convertDataset(item as DicomJson, bulk)) };
  if (BINARY_VRS.has(vr)) {
    if (element.InlineBinary !== undefined)
      return { vr, Value: [arrayBuffer(Buffer.from(element.InlineBinary, 'base64'))] };
    if (element.BulkDataURI !== undefined) {
      const part = bulk.get(element.BulkDataURI);
      if (!part)
        throw new InstanceError('BAD_DICOM', `(${tag}) names bulk data ${element.BulkDataURI} that no part holds`);
      if (
        part.type !== 'application/octet-stream' ||
        (part.transferSyntax && part.transferSyntax !== EXPLICIT_VR_LITTLE_ENDIAN)
      )
        throw new InstanceError(
          'UNSUPPORTED_TRANSFER_SYNTAX',
          `(${tag}) bulk data of type ${part.type}${part.transferSyntax ? `; transfer-syntax=${part.transferSyntax}` : ''}: only native (application/octet-stream) bulk data is accepted`,
        );
      return { vr, Value: [arrayBuffer(part.bytes)] };
    }
    return { vr, Value: [] };
  }
  if (element.BulkDataURI !== undefined || element.InlineBinary !== undefined)
    throw new InstanceError('BAD_DICOM', `(${tag}) has VR ${vr}, which carries no binary data`);
  return { vr, Value: element.Value ?? [] };
}

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
