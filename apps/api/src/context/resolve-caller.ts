import type { Request } from 'express';
import { presentedSecret } from '../auth/session-cookie.js';
import { resolvePrincipal } from '../services/auth.js';
import type { ServiceDeps } from '../services/deps.js';
import type { Caller } from './caller.js';

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
