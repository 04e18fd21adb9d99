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
