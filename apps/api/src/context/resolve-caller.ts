import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { Caller } from '../auth/caller.js';
import { resolvePrincipal } from '../auth/resolve-principal.js';
import { presentedSecret } from '../auth/session-cookie.js';
import type { ServiceDeps } from '../services/deps.js';

/** The one place a request becomes a caller: Bearer header or session cookie, plus the audited address. */
export async function resolveCaller(deps: Pick<ServiceDeps, 'prisma'>, req: Request): Promise<Caller> {
  const secret = presentedSecret({ authorization: req.headers.authorization, cookie: req.headers.cookie });
  const userAgent = req.headers['user-agent'];
  return {
    principal: await resolvePrincipal(deps, secret),
    ip: req.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
  };
}

/**
 * The caller of a WebSocket (graphql-ws) connection: `authorization` from the connection parameters (what a
 * non-browser client sends), else the upgrade request's Authorization header or session cookie. The address follows
 * Express's `trust proxy: loopback`: X-Forwarded-For counts only when the direct peer is a loopback proxy (the web
 * server's WebSocket proxy), and then its last hop is the client.
 */
export async function resolveUpgradeCaller(
  deps: Pick<ServiceDeps, 'prisma'>,
  request: IncomingMessage,
  connectionAuthorization: string | undefined,
): Promise<Caller> {
  const secret = presentedSecret({
    authorization: connectionAuthorization ?? request.headers.authorization,
    cookie: request.headers.cookie,
  });
  const userAgent = request.headers['user-agent'];
  return {
    principal: await resolvePrincipal(deps, secret),
    ip: upgradeAddress(request),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
  };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function upgradeAddress(request: IncomingMessage): string | null {
  const peer = request.socket.remoteAddress ?? null;
  const forwarded = request.headers['x-forwarded-for'];
  if (!peer || !LOOPBACK.test(peer) || typeof forwarded !== 'string') return peer;
  const hops = forwarded
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return hops[hops.length - 1] ?? peer;
}
