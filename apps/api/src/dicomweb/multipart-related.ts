import { once } from 'node:events';
import { PassThrough } from 'node:stream';
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
  /** The part's body; must be consumed before the next part is read. */
  body: PassThrough;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Streams the parts of a multipart body (RFC 2046) one after another. Each part's body is a stream fed as the
 * request arrives, so a part of any size passes through with bounded memory; the caller consumes it (e.g. into a
 * temporary file) and calls `next()` again. Only the bytes that might begin a delimiter are held back.
 */
export async function* readParts(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<Part> {
  if (!boundary || boundary.length > 200)
    throw new AppError('BAD_USER_INPUT', 'the multipart boundary is missing or too long');
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may come without the CRLF before it.
  let buffer: Buffer = Buffer.concat([CRLF]);
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await iterator.next();
    if (r.done) {
      ended = true;
      return false;
    }
    buffer = buffer.length === 0 ? r.value : Buffer.concat([buffer, r.value]);
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
    const body = new PassThrough();
    const pump = (async () => {
      for (;;) {
        const at = buffer.indexOf(delimiter);
        if (at >= 0) {
          if (at > 0 && !body.write(buffer.subarray(0, at))) await once(body, 'drain');
          buffer = buffer.subarray(at + delimiter.length);
          body.end();
          return;
        }
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          const chunk = buffer.subarray(0, safe);
          buffer = buffer.subarray(safe);
          if (!body.write(chunk)) await once(body, 'drain');
        }
        if (!(await more())) {
          body.destroy(truncated());
          throw truncated();
        }
      }
    })();
    // Awaited below; until then a failure must not count as an unhandled rejection.
    pump.catch(() => {});
    yield { headers, body };
    await pump;
  }
}

function truncated(): AppError {
  return new AppError('BAD_USER_INPUT', 'the multipart body ends before its closing boundary');
}
