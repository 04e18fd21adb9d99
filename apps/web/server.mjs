#!/usr/bin/env node
// The web app's production server: Next.js's own request handler, plus the one thing a Next.js route handler cannot
// do: forward WebSocket upgrades. GraphQL subscriptions (graphql-ws on /graphql) reach the API through the web
// origin, so the session cookie stays first-party exactly as for queries (src/server/api-proxy.ts forwards those).
// Run by `npm start` (scripts/start.mjs) instead of `next start`; same host and port settings.
import { EventEmitter } from 'node:events';
import { createServer, request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiUrl, webListen } from '@ich/config';
import next from 'next';

const dir = path.dirname(fileURLToPath(import.meta.url));
const { host: hostname, port } = webListen();
const api = new URL(apiUrl());

/** Upgrade paths forwarded to the API; anything else is refused (Next.js serves no WebSockets in production). */
const UPGRADE_PATHS = new Set(['/graphql']);

function withoutForwardedFor(headers) {
  const { 'x-forwarded-for': _claimed, ...rest } = headers;
  return rest;
}

/** Copies a WebSocket upgrade to the API and splices the two sockets once the API accepts it. */
function proxyUpgrade(req, socket, head) {
  const { pathname } = new URL(req.url ?? '/', 'http://web');
  if (!UPGRADE_PATHS.has(pathname)) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    return;
  }
  // The peer this server saw replaces whatever the client claimed (as the HTTP proxy does for an untrusted peer), so
  // the API, which trusts this hop, audits the real address of a WebSocket client.
  const peer = req.socket.remoteAddress;
  const upstream = request({
    host: api.hostname,
    port: api.port || 80,
    path: req.url,
    method: 'GET',
    headers: { ...withoutForwardedFor(req.headers), host: api.host, ...(peer ? { 'x-forwarded-for': peer } : {}) },
  });
  const fail = () => socket.destroy();
  socket.on('error', () => upstream.destroy());
  upstream.on('error', fail);
  upstream.on('response', (res) => {
    // The API refused the upgrade (bad origin, wrong path): pass its status on and close.
    socket.end(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\nConnection: close\r\n\r\n`);
    res.resume();
  });
  upstream.on('upgrade', (res, apiSocket, apiHead) => {
    const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (apiHead.length > 0) socket.write(apiHead);
    if (head.length > 0) apiSocket.write(head);
    apiSocket.on('error', fail);
    socket.on('error', () => apiSocket.destroy());
    apiSocket.pipe(socket).pipe(apiSocket);
  });
  upstream.end();
}

// Next.js attaches its own 'upgrade' listener to the server of the first request it handles, and in production that
// listener ends every socket it does not route, including the ones proxied here. Handing it a stand-in emitter as
// its "server" keeps it off ours: this file owns upgrades.
const app = next({ dev: false, dir, hostname, port, httpServer: new EventEmitter() });
await app.prepare();
const handle = app.getRequestHandler();
const server = createServer((req, res) => handle(req, res));
server.on('upgrade', proxyUpgrade);
server.listen(port, hostname, () => {
  console.log(`[web] listening on http://${hostname}:${port} (WebSocket /graphql forwarded to ${api.origin})`);
});

let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 5000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
