import dcmjs, { type DicomJsonDataset } from 'dcmjs';

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const PIXEL_DATA = '7FE00010';

export type DicomJson = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string; BulkDataURI?: string }>;

/**
 * The DICOM JSON model (PS3.18 F.2) of a stored instance, for WADO-RS metadata. The file is read up to the pixel
 * data (never decoded); Pixel Data is given as a BulkDataURI to its frames, other binary values inline (base64).
 */
export function instanceMetadata(bytes: Uint8Array, frameUri: string): DicomJson {
  const json = headerJson(bytes);
  json[PIXEL_DATA] = { vr: 'OW', BulkDataURI: frameUri };
  return json;
}

/** Every attribute of a stored instance up to its pixel data, in the DICOM JSON model (binary values inline). */
export function headerJson(bytes: Uint8Array): DicomJson {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: PIXEL_DATA, includeUntilTagValue: false });
  return convert(file.dict);
}

function convert(dataset: DicomJsonDataset): DicomJson {
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(dataset)) {
    const key = tag.toUpperCase();
    if (key === PIXEL_DATA) continue;
    const vr = element.vr;
    if (BINARY_VRS.has(vr)) {
      const parts = (element.Value ?? []).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer);
      const bytes = Buffer.concat(parts.map((p) => Buffer.from(p)));
      out[key] = bytes.length > 0 ? { vr, InlineBinary: bytes.toString('base64') } : { vr };
    } else if (vr === 'SQ') {
      out[key] = { vr, Value: (element.Value ?? []).map((item) => convert(item as DicomJsonDataset)) };
    } else {
      const values = (element.Value ?? []).filter((v) => v !== undefined);
      out[key] = values.length > 0 ? { vr, Value: values } : { vr };
    }
  }
  return out;
}
