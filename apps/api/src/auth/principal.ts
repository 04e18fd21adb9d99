import { AppError } from '@ich/errors';
import type { Scope } from './scopes.js';

export type Role = 'ADMIN' | 'CLINICIAN';

/**
 * Who is asking. Resolved once per request (cookie or Bearer header) and passed to every service call; services,
 * not resolvers, decide what each principal may do.
 */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'session'; userId: string; email: string; role: Role; sessionId: string }
  | {
      kind: 'apiToken';
      userId: string;
      email: string;
      role: Role;
      tokenId: string;
      scopes: ReadonlySet<Scope>;
      /** When the presented token expires (null: never); a token cannot mint one that outlives it. */
      expiresAt: Date | null;
    };

export type AuthenticatedPrincipal = Exclude<Principal, { kind: 'anonymous' }>;

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

export interface Requirement {
  /** The scope an API token needs; sessions are not scoped (a signed-in person acts with their whole role). */
  scope: Scope;
  /** Only ADMINs (or their tokens) may do this. */
  admin?: boolean;
}

/**
 * The one authorization check: UNAUTHENTICATED without a principal, FORBIDDEN when the role or the token's scopes
 * fall short. Returns the narrowed principal so callers can use its user id.
 */
export function authorize(principal: Principal, need: Requirement): AuthenticatedPrincipal {
  if (principal.kind === 'anonymous') throw new AppError('UNAUTHENTICATED');
  if (need.admin && principal.role !== 'ADMIN')
    throw new AppError('FORBIDDEN', 'This operation requires the ADMIN role.');
  if (principal.kind === 'apiToken' && !principal.scopes.has(need.scope)) {
    throw new AppError('FORBIDDEN', `This API token lacks the "${need.scope}" scope.`, { scope: need.scope });
  }
  return principal;
}
