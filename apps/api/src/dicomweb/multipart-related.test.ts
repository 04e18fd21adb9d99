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

  it('finds every part of random bodies full of near-delimiters, whatever the chunking', async () => {
    // A seeded generator, so a failure replays: bodies drawn from the delimiter's own bytes, so that prefixes of it
    // fall inside parts and across chunk edges, cut into random chunk sizes from 1 byte to larger than the delimiter.
    let seed = 20261130;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const b = 'bNd';
    const alphabet = Buffer.from(`\r\n--${b}x`, 'latin1');
    const cases = 300;
    expect.assertions(cases);
    for (let n = 0; n < cases; n += 1) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const bytes = Buffer.alloc(Math.floor(random() * 40));
        for (let i = 0; i < bytes.length; i += 1) bytes[i] = alphabet[Math.floor(random() * alphabet.length)] as number;
        // A part must not contain the delimiter itself (the sender picks a boundary that does not occur).
        return bytes.toString('latin1').replaceAll(`\r\n--${b}`, '');
      });
      const whole = Buffer.from(`--${b}\r\n\r\n${parts.join(`\r\n--${b}\r\n\r\n`)}\r\n--${b}--\r\n`, 'latin1');
      const chunks: Buffer[] = [];
      for (let at = 0; at < whole.length; ) {
        const size = 1 + Math.floor(random() * 12);
        chunks.push(whole.subarray(at, at + size));
        at += size;
      }
      const read: string[] = [];
      for await (const part of readParts(
        (async function* () {
          yield* chunks;
        })(),
        b,
      )) {
        const data: Buffer[] = [];
        for await (const c of part.body) data.push(c);
        read.push(Buffer.concat(data).toString('latin1'));
      }
      expect(read).toEqual(parts);
    }
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
