import type { IncomingMessage } from 'node:http';
import { clientAddress, type TrustedProxies } from '@ich/config';
import type { Request } from 'express';
import type { Caller } from '../auth/caller.js';
import { resolvePrincipal } from '../auth/resolve-principal.js';
import { presentedSecret } from '../auth/session-cookie.js';
import type { ServiceDeps } from '../services/deps.js';

/** The one place a request becomes a caller: Bearer header or session cookie, plus the audited address. */
export async function resolveCaller(
  deps: Pick<ServiceDeps, 'prisma'>,
  req: Request,
  trustedProxies: TrustedProxies,
  sessionIdleMs: number,
): Promise<Caller> {
  const secret = presentedSecret({ authorization: req.headers.authorization, cookie: req.headers.cookie });
  const userAgent = req.headers['user-agent'];
  return {
    principal: await resolvePrincipal(deps, secret, { sessionIdleMs }),
    ip: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
  };
}

/**
 * The caller of a WebSocket (graphql-ws) connection: `authorization` from the connection parameters (what a
 * non-browser client sends), else the upgrade request's Authorization header or session cookie. The address follows
 * the same TRUSTED_PROXIES rule as every HTTP request (the web server's WebSocket proxy is one such proxy).
 */
export async function resolveUpgradeCaller(
  deps: Pick<ServiceDeps, 'prisma'>,
  request: IncomingMessage,
  connectionAuthorization: string | undefined,
  trustedProxies: TrustedProxies,
  sessionIdleMs: number,
): Promise<Caller> {
  const secret = presentedSecret({
    authorization: connectionAuthorization ?? request.headers.authorization,
    cookie: request.headers.cookie,
  });
  const userAgent = request.headers['user-agent'];
  return {
    principal: await resolvePrincipal(deps, secret, { sessionIdleMs }),
    ip: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
  };
}
