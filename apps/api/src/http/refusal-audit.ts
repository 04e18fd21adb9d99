import { clientAddress, type TrustedProxies } from '@ich/config';
import type { ErrorRequestHandler, Request } from 'express';
import { type AuditLog, actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { ANONYMOUS } from '../auth/principal.js';
import { log } from '../log/logger.js';
import { fromHttpLayerError } from './error-handler.js';

export interface RefusalLimits {
  /** Events per client address per window. */
  perAddress: number;
  /** Events per window over all addresses (a flood from many addresses). */
  total: number;
  windowMs: number;
}

/**
 * The rule for auditing refused plain-HTTP requests (documented in docs/architecture.md): per API process, each client
 * address gets at most 10 `access.denied` events a minute and all addresses together at most 300; refusals past that
 * are counted, not written, and the count rides on that address's next recorded event (`details.suppressed`). So a
 * flood grows the log by at most 300 events a minute per process, and the trail still shows that it happened.
 */
export const DEFAULT_REFUSAL_LIMITS: RefusalLimits = { perAddress: 10, total: 300, windowMs: 60_000 };
// Addresses remembered at most; past this the oldest windows are forgotten first (their suppressed counts with them).
const MAX_ADDRESSES = 10_000;

/** Fixed one-minute windows per address and overall. */
export class RefusalLimiter {
  private readonly addresses = new Map<string, { start: number; recorded: number; suppressed: number }>();
  private total = { start: 0, recorded: 0 };

  constructor(
    private readonly limits: RefusalLimits = DEFAULT_REFUSAL_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to record this refusal, and how many from this address went unrecorded before it. */
  admit(address: string): { record: boolean; suppressed: number } {
    const now = this.now();
    if (now - this.total.start >= this.limits.windowMs) this.total = { start: now, recorded: 0 };
    let entry = this.addresses.get(address);
    if (!entry || now - entry.start >= this.limits.windowMs) {
      const suppressed = entry?.suppressed ?? 0;
      this.addresses.delete(address);
      entry = { start: now, recorded: 0, suppressed };
      this.addresses.set(address, entry);
      if (this.addresses.size > MAX_ADDRESSES) {
        const oldest = this.addresses.keys().next().value;
        if (oldest !== undefined) this.addresses.delete(oldest);
      }
    }
    if (entry.recorded >= this.limits.perAddress || this.total.recorded >= this.limits.total) {
      entry.suppressed += 1;
      return { record: false, suppressed: 0 };
    }
    entry.recorded += 1;
    this.total.recorded += 1;
    const suppressed = entry.suppressed;
    entry.suppressed = 0;
    return { record: true, suppressed };
  }
}

export interface RefusalAuditDeps {
  audit: AuditLog;
  /** The caller the route resolved, when it got that far. */
  callerOf(req: Request): Caller | undefined;
  trustedProxies: TrustedProxies;
  limiter: RefusalLimiter;
}

/**
 * Error middleware for the plain-HTTP routes (uploads, DICOMweb, audit export): a request refused as
 * UNAUTHENTICATED or FORBIDDEN is audited as `access.denied` with the client address, within the limiter's rule,
 * before the error handler answers. Refused GraphQL fields are audited by the GraphQL layer.
 */
export function auditRefusals(deps: RefusalAuditDeps): ErrorRequestHandler {
  return async (thrown, req, _res, next) => {
    const error = fromHttpLayerError(thrown);
    if (error.code !== 'UNAUTHENTICATED' && error.code !== 'FORBIDDEN') return next(thrown);
    const caller: Caller = deps.callerOf(req) ?? {
      principal: ANONYMOUS,
      ip: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trustedProxies),
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
    };
    const { record, suppressed } = deps.limiter.admit(caller.ip ?? 'unknown');
    if (record) {
      try {
        await deps.audit.append(actorOf(caller), {
          action: 'access.denied',
          outcome: 'FAILURE',
          details: {
            code: error.code,
            method: req.method,
            path: (req.originalUrl.split('?')[0] ?? '').slice(0, 200),
            message: error.message.slice(0, 200),
            ...(suppressed > 0 ? { suppressed } : {}),
          },
        });
      } catch (appendError) {
        log.error('could not audit a refused request', appendError);
      }
    }
    next(thrown);
  };
}
