/**
 * Decoded frames from the API's WADO-RS frame endpoint: the server decodes every transfer syntax, so the browser
 * needs no codecs. A frame is the stored pixel values, little-endian, `bitsAllocated` wide and signed when
 * `pixelRepresentation` is 1, sent either bare (application/octet-stream) or as the single part of a
 * multipart/related answer, as PS3.18 allows.
 */
export interface FrameFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  pixelRepresentation: number;
  slope: number;
  intercept: number;
}

export function typedPixels(buffer: ArrayBuffer, format: FrameFormat): Int16Array | Uint16Array | Uint8Array {
  const count = format.rows * format.columns;
  const bytesPerPixel = format.bitsAllocated / 8;
  if (buffer.byteLength < count * bytesPerPixel)
    throw new Error(`frame has ${buffer.byteLength} bytes, expected ${count * bytesPerPixel}`);
  if (format.bitsAllocated === 8) return new Uint8Array(buffer, 0, count);
  if (format.bitsAllocated !== 16) throw new Error(`unsupported BitsAllocated ${format.bitsAllocated}`);
  // A typed array view needs 2-byte alignment; a part sliced out of a multipart body may start anywhere.
  const aligned = buffer.byteLength % 2 === 0 ? buffer : buffer.slice(0, count * 2);
  return format.pixelRepresentation === 1 ? new Int16Array(aligned, 0, count) : new Uint16Array(aligned, 0, count);
}

/** The body of the first part of a multipart/related response, or the whole body when it is not multipart. */
export function firstPart(body: ArrayBuffer, contentType: string | null): ArrayBuffer {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!contentType?.toLowerCase().startsWith('multipart/') || !boundary) return body;
  const bytes = new Uint8Array(body);
  const delimiter = new TextEncoder().encode(`--${boundary}`);
  const start = indexOf(bytes, delimiter, 0);
  if (start < 0) throw new Error('multipart frame without its boundary');
  const headersEnd = indexOf(bytes, new TextEncoder().encode('\r\n\r\n'), start);
  if (headersEnd < 0) throw new Error('multipart frame without part headers');
  const dataStart = headersEnd + 4;
  const end = indexOf(bytes, new TextEncoder().encode(`\r\n--${boundary}`), dataStart);
  if (end < 0) throw new Error('multipart frame without its closing boundary');
  return body.slice(dataStart, end);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Min and max of the stored values, which cornerstone needs for its lookup tables. */
export function range(pixels: ArrayLike<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

type DicomJson = Record<string, { Value?: unknown[] }>;

const num = (item: DicomJson, tag: string, fallback: number): number => {
  const v = item[tag]?.Value?.[0];
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : fallback;
};

/** One instance's frame format from WADO-RS metadata (DICOM JSON), keyed by SOPInstanceUID. */
export function formatsFromMetadata(metadata: unknown): Map<string, FrameFormat & { spacing: [number, number] }> {
  const out = new Map<string, FrameFormat & { spacing: [number, number] }>();
  if (!Array.isArray(metadata)) return out;
  for (const item of metadata as DicomJson[]) {
    const sop = item['00080018']?.Value?.[0];
    if (typeof sop !== 'string') continue;
    const spacing = item['00280030']?.Value;
    out.set(sop, {
      rows: num(item, '00280010', 0),
      columns: num(item, '00280011', 0),
      bitsAllocated: num(item, '00280100', 16),
      pixelRepresentation: num(item, '00280103', 0),
      intercept: num(item, '00281052', 0),
      slope: num(item, '00281053', 1),
      spacing: [Number(spacing?.[0] ?? 1) || 1, Number(spacing?.[1] ?? 1) || 1],
    });
  }
  return out;
}
