import { Tag } from '../dicom/tags.js';

/**
 * A small DICOM Part 10 writer for the synthetic phantoms: flat data sets (no sequences), native or encapsulated
 * pixel data, in implicit/explicit little endian, explicit big endian, deflated or any encapsulated syntax. It is
 * checked against dcmtk in the tests (dcmdump/dcmconv read what it writes).
 */
export type WriterSyntax = 'implicit-le' | 'explicit-le' | 'explicit-be' | 'deflated' | 'encapsulated';

export type ElementValue =
  | string
  | readonly string[]
  | number
  | readonly number[]
  | Uint8Array
  | Uint16Array
  | Int16Array;

export interface DataElement {
  /** (group << 16) | element */
  readonly tag: number;
  readonly vr: string;
  readonly value: ElementValue;
}

export interface WriteOptions {
  readonly syntax: WriterSyntax;
  readonly transferSyntaxUid: string;
  /** Deflater for the deflated syntax (raw deflate, no zlib header). */
  readonly deflateRaw?: (bytes: Uint8Array) => Uint8Array;
  /** Compressed frames for the encapsulated syntax; replaces any native (7FE0,0010) element. */
  readonly frames?: readonly Uint8Array[];
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'SQ', 'UT', 'UN', 'UC', 'UR']);
const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1465.1';

export function writeDicom(elements: readonly DataElement[], options: WriteOptions): Uint8Array {
  const sopClass = stringOf(elements, Tag.SOPClassUID);
  const sopInstance = stringOf(elements, Tag.SOPInstanceUID);
  const meta = encodeElements(
    [
      { tag: Tag.FileMetaInformationVersion, vr: 'OB', value: Uint8Array.of(0, 1) },
      { tag: Tag.MediaStorageSOPClassUID, vr: 'UI', value: sopClass },
      { tag: Tag.MediaStorageSOPInstanceUID, vr: 'UI', value: sopInstance },
      { tag: Tag.TransferSyntaxUID, vr: 'UI', value: options.transferSyntaxUid },
      { tag: Tag.ImplementationClassUID, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
      { tag: Tag.ImplementationVersionName, vr: 'SH', value: 'ICH_SYNTH' },
    ],
    true,
    false,
  );
  const groupLength = encodeElements(
    [{ tag: Tag.FileMetaInformationGroupLength, vr: 'UL', value: meta.length }],
    true,
    false,
  );
  const sorted = [...elements].filter((e) => e.tag >>> 16 !== 0x0002).sort((a, b) => a.tag - b.tag);
  let body: Uint8Array;
  switch (options.syntax) {
    case 'implicit-le':
      body = encodeElements(sorted, false, false);
      break;
    case 'explicit-le':
      body = encodeElements(sorted, true, false);
      break;
    case 'explicit-be':
      body = encodeElements(sorted, true, true);
      break;
    case 'deflated': {
      if (!options.deflateRaw) throw new Error('writeDicom: the deflated syntax needs deflateRaw');
      body = options.deflateRaw(encodeElements(sorted, true, false));
      break;
    }
    case 'encapsulated': {
      if (!options.frames || options.frames.length === 0)
        throw new Error('writeDicom: the encapsulated syntax needs frames');
      const withoutPixels = sorted.filter((e) => e.tag !== Tag.PixelData);
      body = join([encodeElements(withoutPixels, true, false), encapsulate(options.frames)]);
      break;
    }
  }
  return join([new Uint8Array(128), Uint8Array.of(0x44, 0x49, 0x43, 0x4d), groupLength, meta, body]);
}

function encapsulate(frames: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(12);
  const h = new DataView(header.buffer);
  h.setUint16(0, Tag.PixelData >>> 16, true);
  h.setUint16(2, Tag.PixelData & 0xffff, true);
  header.set([0x4f, 0x42], 4);
  h.setUint32(8, 0xffffffff, true);
  parts.push(header);
  // Basic Offset Table: offsets of each frame's item from the first frame item.
  const bot = new Uint8Array(8 + 4 * frames.length);
  const b = new DataView(bot.buffer);
  b.setUint16(0, 0xfffe, true);
  b.setUint16(2, 0xe000, true);
  b.setUint32(4, 4 * frames.length, true);
  let offset = 0;
  frames.forEach((f, i) => {
    b.setUint32(8 + 4 * i, offset, true);
    offset += 8 + f.length + (f.length % 2);
  });
  parts.push(bot);
  for (const f of frames) {
    const item = new Uint8Array(8);
    const v = new DataView(item.buffer);
    v.setUint16(0, 0xfffe, true);
    v.setUint16(2, 0xe000, true);
    v.setUint32(4, f.length + (f.length % 2), true);
    parts.push(item, f);
    if (f.length % 2) parts.push(new Uint8Array(1));
  }
  const end = new Uint8Array(8);
  const e = new DataView(end.buffer);
  e.setUint16(0, 0xfffe, true);
  e.setUint16(2, 0xe0dd, true);
  parts.push(end);
  return join(parts);
}

function encodeElements(elements: readonly DataElement[], explicit: boolean, bigEndian: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of elements) {
    const value = encodeValue(el, bigEndian);
    const long = LONG_VRS.has(el.vr);
    const header = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
    const v = new DataView(header.buffer);
    v.setUint16(0, el.tag >>> 16, !bigEndian);
    v.setUint16(2, el.tag & 0xffff, !bigEndian);
    if (!explicit) {
      v.setUint32(4, value.length, !bigEndian);
    } else {
      header[4] = el.vr.charCodeAt(0);
      header[5] = el.vr.charCodeAt(1);
      if (long) v.setUint32(8, value.length, !bigEndian);
      else v.setUint16(6, value.length, !bigEndian);
    }
    parts.push(header, value);
  }
  return join(parts);
}

function encodeValue(el: DataElement, bigEndian: boolean): Uint8Array {
  const { vr, value } = el;
  if (value instanceof Uint8Array) return padEven(value, 0);
  if (value instanceof Uint16Array || value instanceof Int16Array) {
    const out = new Uint8Array(value.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < value.length; i += 1) view.setUint16(2 * i, (value[i] as number) & 0xffff, !bigEndian);
    return out;
  }
  if (vr === 'US' || vr === 'SS' || vr === 'UL' || vr === 'SL' || vr === 'FL' || vr === 'FD') {
    const list = typeof value === 'number' ? [value] : (value as readonly number[]);
    const width = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
    const out = new Uint8Array(list.length * width);
    const view = new DataView(out.buffer);
    list.forEach((n, i) => {
      const at = i * width;
      if (vr === 'US') view.setUint16(at, n, !bigEndian);
      else if (vr === 'SS') view.setInt16(at, n, !bigEndian);
      else if (vr === 'UL') view.setUint32(at, n, !bigEndian);
      else if (vr === 'SL') view.setInt32(at, n, !bigEndian);
      else if (vr === 'FL') view.setFloat32(at, n, !bigEndian);
      else view.setFloat64(at, n, !bigEndian);
    });
    return out;
  }
  const text = Array.isArray(value) ? value.map(String).join('\\') : String(value);
  return padEven(new TextEncoder().encode(text), vr === 'UI' ? 0 : 0x20);
}

function padEven(bytes: Uint8Array, pad: number): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = pad;
  return out;
}

function stringOf(elements: readonly DataElement[], tag: number): string {
  const v = elements.find((e) => e.tag === tag)?.value;
  return typeof v === 'string' ? v : '';
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
