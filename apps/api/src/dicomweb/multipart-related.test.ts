import { describe, expect, it } from 'vitest';
import { parseContentType, readParts } from './multipart-related.js';

async function partsOf(body: Buffer, boundary: string, chunkSize: number) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const out: Array<{ headers: Record<string, string>; data: string }> = [];
  for await (const part of readParts(
    (async function* () {
      yield* chunks;
    })(),
    boundary,
  )) {
    const data: Buffer[] = [];
    for await (const c of part.body) data.push(c);
    out.push({ headers: part.headers, data: Buffer.concat(data).toString('latin1') });
  }
  return out;
}

describe('readParts', () => {
  const boundary = 'xYz';
  // A body that contains "\r\n--xY" (a delimiter prefix) inside a part must not be cut there.
  const body = Buffer.from(
    'preamble\r\n--xYz\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--xY not yet\r\n--xYz\r\n\r\nsecond\r\n--xYz--\r\nepilogue',
    'latin1',
  );

  it.each([1, 2, 3, 7, 64, 4096])('splits parts the same way whatever the chunk size (%i)', async (size) => {
    expect(await partsOf(body, boundary, size)).toEqual([
      { headers: { 'content-type': 'application/dicom' }, data: 'first\r\n--xY not yet' },
      { headers: {}, data: 'second' },
    ]);
  });

  it('skips a body the consumer left unread', async () => {
    const names: string[] = [];
    for await (const part of readParts(
      (async function* () {
        yield body;
      })(),
      boundary,
    ))
      names.push(part.headers['content-type'] ?? '(none)');
    expect(names).toEqual(['application/dicom', '(none)']);
  });

  it('refuses a body that ends before its closing boundary', async () => {
    const cut = body.subarray(0, body.indexOf('second') + 3);
    await expect(partsOf(cut, boundary, 16)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(partsOf(Buffer.from('no parts here'), boundary, 16)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('parseContentType', () => {
  it('reads quoted parameters', () => {
    expect(parseContentType('Multipart/Related; type="application/dicom"; boundary="a;b"')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'a;b' },
    });
  });
});
