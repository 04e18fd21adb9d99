// The web server: Next's request handler plus a WebSocket pass-through, so graphql-ws subscriptions on /graphql reach
// the API through the web origin (Next's route handlers cannot take a WebSocket upgrade). Listens on 127.0.0.1 by
// default; WEB_HOST, WEB_PORT and API_URL as for `next start`.
import http from 'node:http';
import net from 'node:net';
import next from 'next';

const port = Number(process.env.WEB_PORT ?? 3000);
const host = process.env.WEB_HOST ?? '127.0.0.1';
const api = new URL(process.env.API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? '4000'}`);

const app = next({ dev: false, hostname: host, port, dir: import.meta.dirname });
const handle = app.getRequestHandler();
await app.prepare();
const upgradeNext = app.getUpgradeHandler();

const server = http.createServer((req, res) => handle(req, res));

server.on('upgrade', (req, socket, head) => {
  if (!req.url?.startsWith('/graphql')) {
    upgradeNext(req, socket, head);
    return;
  }
  const upstream = net.connect(Number(api.port || 80), api.hostname, () => {
    // Forward the handshake as received (cookie and protocol headers included), addressed to the API.
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? api.host : req.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  const close = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
  upstream.on('close', close);
  socket.on('close', close);
});

server.listen(port, host, () => console.log(`[web] listening on http://${host}:${port}`));
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
