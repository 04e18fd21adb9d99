import { AppError, err, ok, type Result } from '@ich/errors';
import dicomParser, { type DataSet } from 'dicom-parser';
import { readAttributes } from './read-attributes.js';
import { TagKey } from './tags.js';
import { transferSyntaxInfo } from './transfer-syntax.js';
import type { DicomAttributes, ParsedDicom, PixelDataLocation } from './types.js';
import { validateImageAttributes } from './validate.js';

export interface ParseOptions {
  /**
   * Inflates a raw deflate stream (Deflated Explicit VR Little Endian). Under Node, dicom-parser uses zlib by
   * itself; a browser must pass one (e.g. pako.inflateRaw) or deflated files are refused.
   */
  readonly inflateRaw?: (deflated: Uint8Array) => Uint8Array;
}

/**
 * Parses DICOM Part 10 bytes into the attributes the pipeline needs and the location of the pixel data, and checks
 * that the image can be decoded: supported transfer syntax, monochrome, sane geometry, complete pixel data.
 * Pure and browser-safe; never throws.
 */
export function parseDicom(bytes: Uint8Array, options: ParseOptions = {}): Result<ParsedDicom> {
  try {
    return parseUnsafe(bytes, options);
  } catch (thrown) {
    // A bug in a parser must never take down a batch: report it as malformed input, with the parser's words.
    return err(new AppError('BAD_DICOM', `the DICOM parser failed: ${describe(thrown)}`));
  }
}

function parseUnsafe(bytes: Uint8Array, options: ParseOptions): Result<ParsedDicom> {
  if (bytes.length < 132 || bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    return err(new AppError('NOT_DICOM', 'no "DICM" marker at byte 128; not a DICOM Part 10 file'));
  }
  let ds: DataSet;
  let parseFailure: string | null = null;
  try {
    ds = dicomParser.parseDicom(
      hostBytes(bytes),
      options.inflateRaw ? { inflater: inflaterFrom(options.inflateRaw) } : undefined,
    );
  } catch (thrown) {
    const partial = (thrown as { dataSet?: DataSet } | null)?.dataSet;
    const reason = describe((thrown as { exception?: unknown } | null)?.exception ?? thrown);
    if (/no inflater/.test(reason)) {
      return err(
        new AppError('UNSUPPORTED_TRANSFER_SYNTAX', 'deflated transfer syntax needs an inflater in this environment'),
      );
    }
    if (!partial) return err(classifyParseError(reason));
    // The data set parsed up to the failure; if the image attributes and a pixel data element were read, the
    // checks below say precisely what is missing (usually the end of the pixel data).
    ds = partial;
    parseFailure = reason;
  }
  // A partial data set (parse failed part-way) lacks the merged meta header; read the transfer syntax from it.
  const tsu = (ds.string(TagKey.TransferSyntaxUID) ?? (parseFailure ? metaTransferSyntax(bytes) : undefined) ?? '')
    .replace(/\0/g, '')
    .trim();
  const attrs = readAttributes(ds, tsu);
  const pixelElement = ds.elements[TagKey.PixelData];
  if (!pixelElement) {
    if (parseFailure) return err(classifyParseError(parseFailure));
    return err(new AppError('NO_PIXEL_DATA', 'no Pixel Data element (7FE0,0010)'));
  }
  const ts = transferSyntaxInfo(tsu);
  if (!ts || ts.codec === null) {
    const why = ts?.reason ?? 'no decoder is known for it';
    return err(
      new AppError(
        'UNSUPPORTED_TRANSFER_SYNTAX',
        `transfer syntax ${tsu || '(missing)'}${ts ? ` (${ts.name})` : ''}: ${why}`,
        { transferSyntaxUid: tsu },
      ),
    );
  }
  const invalid = validateImageAttributes(attrs);
  if (invalid) return err(invalid);

  const location = locatePixelData(ds, pixelElement, ts.codec === 'native');
  if (!location.ok) return location;
  const complete = checkComplete(attrs, location.value, ds.byteArray.length);
  if (complete) return err(complete);
  // Complete native pixel data survives a failure after it (trailing garbage); fragments cannot be trusted.
  if (parseFailure && location.value.encapsulated) return err(classifyParseError(parseFailure));
  // A plain Uint8Array view (not a Node Buffer, whose slice() does not copy) of the same memory.
  const view = new Uint8Array(ds.byteArray.buffer, ds.byteArray.byteOffset, ds.byteArray.length);
  return ok({ attrs, bytes: view, pixelData: location.value });
}

function locatePixelData(
  _ds: DataSet,
  el: NonNullable<DataSet['elements'][string]>,
  native: boolean,
): Result<PixelDataLocation> {
  if (native) {
    if (el.encapsulatedPixelData)
      return err(new AppError('BAD_DICOM', 'encapsulated pixel data in an uncompressed transfer syntax'));
    return ok({ encapsulated: false, position: el.dataOffset, length: el.length });
  }
  if (!el.encapsulatedPixelData || !el.fragments) {
    return err(new AppError('BAD_DICOM', 'compressed transfer syntax but the pixel data is not encapsulated'));
  }
  const fragments = el.fragments.map((f) => ({ position: f.position, length: f.length, offset: f.offset }));
  return ok({ encapsulated: true, fragments, basicOffsetTable: [...(el.basicOffsetTable ?? [])] });
}

function checkComplete(attrs: DicomAttributes, loc: PixelDataLocation, total: number): AppError | null {
  if (!loc.encapsulated) {
    const expected =
      (attrs.rows * attrs.columns * attrs.numberOfFrames * attrs.samplesPerPixel * attrs.bitsAllocated) / 8;
    const available = Math.max(0, Math.min(loc.length, total - loc.position));
    if (available < expected) {
      return new AppError(
        'TRUNCATED',
        `pixel data has ${available} bytes; ${attrs.rows}×${attrs.columns}×${attrs.numberOfFrames} frames needs ${expected}`,
        {
          expectedBytes: expected,
          availableBytes: available,
        },
      );
    }
    return null;
  }
  if (loc.fragments.length === 0) return new AppError('TRUNCATED', 'encapsulated pixel data has no fragments');
  for (const f of loc.fragments) {
    if (f.position + f.length > total)
      return new AppError(
        'TRUNCATED',
        `a pixel data fragment ends at byte ${f.position + f.length} but the file has ${total}`,
      );
  }
  if (loc.fragments.length < attrs.numberOfFrames) {
    return new AppError(
      'TRUNCATED',
      `${attrs.numberOfFrames} frames declared but only ${loc.fragments.length} pixel data fragments present`,
    );
  }
  return null;
}

function metaTransferSyntax(bytes: Uint8Array): string | undefined {
  try {
    return dicomParser.readPart10Header(hostBytes(bytes)).string(TagKey.TransferSyntaxUID);
  } catch {
    return undefined;
  }
}

function classifyParseError(reason: string): AppError {
  if (/past end|overread|overrun|greater than or equal to|item tag|not found/i.test(reason)) {
    return new AppError('TRUNCATED', `the file ends early or an element length is wrong (${reason})`);
  }
  return new AppError('BAD_DICOM', reason);
}

function inflaterFrom(inflateRaw: (deflated: Uint8Array) => Uint8Array) {
  return (byteArray: Uint8Array, position: number): Uint8Array => {
    const inflated = inflateRaw(byteArray.subarray(position));
    const full = new Uint8Array(position + inflated.length);
    full.set(byteArray.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

/**
 * dicom-parser's built-in deflate path (Node only) calls Buffer methods on its input; under Node hand it a Buffer
 * view of the same memory. In a browser there is no Buffer and the bytes pass through unchanged.
 */
function hostBytes(bytes: Uint8Array): Uint8Array {
  const host = (
    globalThis as {
      Buffer?: {
        from(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array;
        isBuffer(v: unknown): boolean;
      };
    }
  ).Buffer;
  return host && !host.isBuffer(bytes) ? host.from(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  return 'unknown parser failure';
}
