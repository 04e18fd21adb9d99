import { AppError } from '@ich/errors';

export interface ContentType {
  /** Lower-case media type, e.g. `multipart/related`. */
  type: string;
  /** Parameters with lower-case names and unquoted values. */
  params: Record<string, string>;
}

/** Parses a Content-Type (or one Accept media range) value: `multipart/related; type="application/dicom"; boundary=x`. */
export function parseContentType(value: string | undefined): ContentType {
  const [head = '', ...rest] = splitUnquoted(value ?? '', ';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[name] = v;
  }
  return { type: head.trim().toLowerCase(), params };
}

/** Splits on a separator outside double quotes (Accept lists, parameter lists). */
export function splitUnquoted(value: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

export interface Part {
  headers: Record<string, string>;
  /** The part's body as it arrives; read it (or leave it) before asking for the next part. */
  body: AsyncIterable<Buffer>;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Reads the parts of a multipart body (RFC 2046) one after another, pulling from the request as the consumer reads
 * each body, so a part of any size passes through with bounded memory and no intermediate streams. Only the bytes
 * that might begin a delimiter are held back. A body left unread is skipped when the next part is asked for.
 */
export async function* readParts(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<Part> {
  if (!boundary || boundary.length > 200)
    throw new AppError('BAD_USER_INPUT', 'the multipart boundary is missing or too long');
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may come without the CRLF before it.
  let buffer: Buffer = CRLF;
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  /** The next chunk of the request, or null at its end. */
  const pull = async (): Promise<Buffer | null> => {
    if (ended) return null;
    let r: IteratorResult<Buffer>;
    try {
      r = await iterator.next();
    } catch (error) {
      // The request stream failed under us: the client went away or the connection broke.
      throw new AppError('BAD_USER_INPUT', `the request body could not be read (${(error as Error).message})`);
    }
    if (r.done) {
      ended = true;
      return null;
    }
    return r.value;
  };
  /** Appends the next chunk to `buffer` (headers and the preamble: small, so copying is fine). */
  const more = async (): Promise<boolean> => {
    const chunk = await pull();
    if (chunk === null) return false;
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    return true;
  };

  // Preamble: skip to the first delimiter.
  for (;;) {
    const at = buffer.indexOf(delimiter);
    if (at >= 0) {
      buffer = buffer.subarray(at + delimiter.length);
      break;
    }
    buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
    if (!(await more())) throw new AppError('BAD_USER_INPUT', 'the multipart body has no part (boundary not found)');
  }

  for (;;) {
    // After a delimiter: "--" closes the body; otherwise (optional whitespace) CRLF and a part's headers follow.
    while (buffer.length < 2) if (!(await more())) throw truncated();
    if (buffer[0] === 0x2d && buffer[1] === 0x2d) return;
    let headerEnd = buffer.indexOf(HEADER_END);
    while (headerEnd < 0) {
      if (buffer.length > MAX_HEADER_BYTES)
        throw new AppError('BAD_USER_INPUT', 'a multipart part has oversized headers');
      if (!(await more())) throw truncated();
      headerEnd = buffer.indexOf(HEADER_END);
    }
    const headerText = buffer.subarray(0, headerEnd).toString('latin1');
    buffer = buffer.subarray(headerEnd + HEADER_END.length);
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let done = false;
    /**
     * The next piece of this part's body, or null at its closing delimiter. Body bytes are handed on as views of the
     * request's own chunks, never copied: only the last delimiter.length − 1 bytes of a chunk, which could begin a
     * delimiter, are held back, and a delimiter that straddles two chunks is found in a small window joining them.
     */
    const nextChunk = async (): Promise<Buffer | null> => {
      for (;;) {
        if (done) return null;
        const at = buffer.indexOf(delimiter);
        if (at >= 0) {
          const chunk = buffer.subarray(0, at);
          buffer = buffer.subarray(at + delimiter.length);
          done = true;
          if (chunk.length > 0) return chunk;
          return null;
        }
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          const chunk = buffer.subarray(0, safe);
          buffer = buffer.subarray(safe);
          return chunk;
        }
        // `buffer` is a tail shorter than the delimiter, with no delimiter in it.
        const next = await pull();
        if (next === null) throw truncated();
        if (buffer.length === 0) {
          buffer = next;
          continue;
        }
        const window = Buffer.concat([buffer, next.subarray(0, delimiter.length - 1)]);
        const straddling = window.indexOf(delimiter);
        if (straddling >= 0 && straddling < buffer.length) {
          const chunk = buffer.subarray(0, straddling);
          buffer = next.subarray(straddling + delimiter.length - buffer.length);
          done = true;
          if (chunk.length > 0) return chunk;
          return null;
        }
        if (window.length < buffer.length + delimiter.length - 1) {
          // `next` was shorter than the window needs: join the two (both small) and look again.
          buffer = Buffer.concat([buffer, next]);
          continue;
        }
        // No delimiter begins in the tail: it is body, and the new chunk is scanned where it lies.
        const tail = buffer;
        buffer = next;
        return tail;
      }
    };
    yield {
      headers,
      body: {
        async *[Symbol.asyncIterator]() {
          for (let chunk = await nextChunk(); chunk !== null; chunk = await nextChunk()) yield chunk;
        },
      },
    };
    while ((await nextChunk()) !== null) {
      // skip what the consumer left unread
    }
  }
}

function truncated(): AppError {
  return new AppError('BAD_USER_INPUT', 'the multipart body ends before its closing boundary');
}
