import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { type RunningProduct, repoRoot, startProduct } from '../harness/product.js';

/** Sends a raw HTTP request (headers only, or with a body) and returns the status line and body of the answer. */
function raw(url: string, head: string, body = ''): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      // The interim 100 Continue is not the answer.
      const final = reply.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const end = final.indexOf('\r\n\r\n');
      if (end >= 0 && /content-length: (\d+)/i.test(final.slice(0, end))) {
        const length = Number(/content-length: (\d+)/i.exec(final.slice(0, end))![1]);
        if (Buffer.byteLength(final.slice(end + 4)) >= length) socket.end();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const final = reply.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const head = final.slice(0, final.indexOf('\r\n\r\n'));
      let text = final.slice(head.length + 4);
      if (/transfer-encoding: chunked/i.test(head)) {
        let decoded = '';
        for (;;) {
          const size = Number.parseInt(text, 16);
          if (!size) break;
          const start = text.indexOf('\r\n') + 2;
          decoded += text.slice(start, start + size);
          text = text.slice(start + size + 2);
        }
        text = decoded;
      }
      resolve({ status: Number(final.slice(9, 12)), text });
    });
    socket.write(head + body);
  });
}

describe('the web proxy refuses oversized bodies with 413', () => {
  let product: RunningProduct;
  beforeAll(async () => {
    product = await startProduct();
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('answers a 50 MB GraphQL body with Expect: 100-continue with 413, not 502', async () => {
    const r = await raw(
      product.webUrl,
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('forwards a small request that says Expect: 100-continue', async () => {
    const body = JSON.stringify({ query: '{ me { id } }' });
    const r = await raw(
      product.webUrl,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      body,
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ data: { me: null } });
  });

  it('cuts off a chunked body that grows past the limit', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = Array.from({ length: 4 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const r = await raw(
      product.webUrl,
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      `${chunks}0\r\n\r\n`,
    );
    expect(r.status).toBe(413);
  });
});

describe('the web proxy with the API down', () => {
  let web: ChildProcess;
  let url = '';
  beforeAll(async () => {
    const port = await freePort();
    const closed = await freePort();
    url = `http://127.0.0.1:${port}`;
    web = spawn(
      process.execPath,
      [path.join(repoRoot, 'node_modules/next/dist/bin/next'), 'start', '-H', '127.0.0.1', '-p', String(port)],
      {
        cwd: path.join(repoRoot, 'apps/web'),
        env: { ...process.env, API_URL: `http://127.0.0.1:${closed}`, NEXT_TELEMETRY_DISABLED: '1' },
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 120; i += 1) {
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('web did not start');
  });
  afterAll(() => {
    web?.kill('SIGTERM');
  });

  it('says the API is unreachable with its own code', async () => {
    const r = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ error: { code: 'API_UNREACHABLE' } });
  });
});
