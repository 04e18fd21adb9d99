import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';
import { createServer, httpServerFor } from '../../../src/server.js';

// Slow clients (slowloris): headers or a body trickled in must not hold a connection for Node's default 300 s.
describe('HTTP timeouts', () => {
  let port = 0;
  let close = async () => {};
  beforeAll(async () => {
    const config = loadConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2' });
    const app = await createServer({ config, version: 'test', pingDatabase: async () => {} });
    const server = httpServerFor(app, config.httpTimeouts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    close = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  });
  afterAll(() => close());

  /** Writes `parts` one every `everyMs`; resolves with what came back and when the server closed the connection. */
  function slowClient(parts: string[], everyMs: number): Promise<{ reply: string; ms: number }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      let i = 0;
      const timer = setInterval(() => {
        if (i < parts.length && !socket.destroyed) socket.write(parts[i++]!);
      }, everyMs);
      socket.on('data', (d) => (reply += d.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ reply, ms: Date.now() - started });
      });
    });
  }

  it('answers 408 and closes when the headers do not arrive in time', async () => {
    const { reply, ms } = await slowClient(
      ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', ...Array(20).fill('X: y\r\n')],
      400,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(4_000);
  });

  it('answers 408 and closes when the body trickles in past the request timeout', async () => {
    const head = 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const { reply, ms } = await slowClient([head, ...Array(99).fill('x')], 200);
    expect(reply).toMatch(/HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(5_000);
  });
});
