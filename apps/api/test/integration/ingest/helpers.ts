import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Scope } from '../../../src/auth/scopes.js';
import type { TestApi } from '../api/harness.js';

export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  /** Unix mode in the external attributes (e.g. 0o120777 for a symbolic link). */
  mode?: number;
  /** Store instead of deflate. */
  stored?: boolean;
}

/**
 * A minimal zip writer (PKZIP 2.0: local headers, central directory, end record) so tests can build archives that
 * no well-behaved tool writes: `../` paths, absolute paths, symlink entries, bombs.
 */
export function makeZip(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.stored ? Buffer.from(e.data) : deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(e.stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(e.stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface UploadAnswer {
  status: number;
  body: {
    studies?: Array<{
      id: string;
      studyInstanceUid: string;
      accepted: number;
      duplicates: number;
      rejected: Array<{ file: string; code: string; message: string }>;
      files: Array<{ file: string; sopInstanceUid: string | null; status: string; code?: string; message?: string }>;
    }>;
    rejected?: Array<{ file: string; code: string; message: string }>;
    error?: { code: string; message: string };
  };
}

/** POST /api/uploads with the given files in the `files` field. */
export async function upload(
  t: TestApi,
  files: ReadonlyArray<{ name: string; data: Uint8Array }>,
  auth: { token?: string; cookie?: string } = {},
): Promise<UploadAnswer> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.data]), f.name);
  const headers: Record<string, string> = {};
  if (auth.token) headers['authorization'] = `Bearer ${auth.token}`;
  if (auth.cookie) headers['cookie'] = auth.cookie;
  const r = await fetch(`${t.url}/api/uploads`, { method: 'POST', body: form, headers });
  return { status: r.status, body: (await r.json()) as UploadAnswer['body'] };
}

/** A STOW-RS request body: multipart/related; type="application/dicom". */
export function stowBody(files: readonly Uint8Array[]): { body: Buffer; contentType: string } {
  const boundary = `b-${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f));
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** An ADMIN- or CLINICIAN-owned API token with exactly these scopes, made through GraphQL as a user would. */
export async function tokenWith(t: TestApi, sessionToken: string, scopes: Scope[]): Promise<string> {
  const r = await t.gql<{ createApiToken: { token: string } }>(
    'mutation($s: [String!]!) { createApiToken(input: { name: "ingest-test", scopes: $s }) { token } }',
    { s: scopes },
    { token: sessionToken },
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createApiToken.token;
}

/** Splits a multipart/related body into its parts (headers + bytes). */
export function splitMultipart(body: Buffer, contentType: string): Array<{ headers: string; data: Buffer }> {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const out: Array<{ headers: string; data: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delimiter, headerEnd);
    out.push({ headers: body.subarray(start + 2, headerEnd).toString(), data: body.subarray(headerEnd + 4, next) });
    at = next;
  }
  return out;
}
