import { AppError } from '@ich/errors';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { type AuthenticatedPrincipal, authorize } from '../auth/principal.js';
import { formatScopes, validateRequestedScopes } from '../auth/scopes.js';
import { displayPrefix, hashSecret, newSecret } from '../auth/secrets.js';
import type { Loaders } from '../db/loaders.js';
import type { ApiTokenRecord, UserRecord } from '../db/records.js';
import type { ServiceDeps } from './deps.js';
import { checkId } from './ids.js';

export interface CreateApiTokenInput {
  name: string;
  scopes: string[];
  expiresInDays?: number | null;
  userId?: string | null;
}

const DEFAULT_EXPIRY_DAYS = 90;
const MAX_EXPIRY_DAYS = 365;
const DAY_MS = 86_400_000;

/**
 * API tokens: admins manage anyone's; a person manages their own. A token principal needs the `admin` scope to
 * manage tokens at all, and mints only tokens with a subset of its own scopes that expire no later than it does.
 */
export class TokenService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
    private readonly loaders: Loaders,
  ) {}

  private forUser(userId: string | null | undefined): { principal: AuthenticatedPrincipal; ownerId: string } {
    const self = authorize(this.caller.principal, { scope: 'admin' });
    const ownerId = userId ? checkId(userId, 'userId') : self.userId;
    if (ownerId !== self.userId) authorize(this.caller.principal, { scope: 'admin', admin: true });
    return { principal: self, ownerId };
  }

  async list(userId: string | null | undefined): Promise<ApiTokenRecord[]> {
    const principal = authorize(this.caller.principal, { scope: 'admin' });
    const where = userId
      ? { userId: this.forUser(userId).ownerId }
      : principal.role === 'ADMIN'
        ? {}
        : { userId: principal.userId };
    const tokens = await this.deps.prisma.apiToken.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'token.list',
      details: { userId: userId ?? null, count: tokens.length },
    });
    return tokens;
  }

  /** Returns the secret once; only its hash is stored. */
  async create(input: CreateApiTokenInput): Promise<{ token: string; apiToken: ApiTokenRecord }> {
    const { principal, ownerId } = this.forUser(input.userId);
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new AppError('BAD_USER_INPUT', 'name: must be 1 to 100 characters', { field: 'name' });
    const days = input.expiresInDays ?? DEFAULT_EXPIRY_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS) {
      throw new AppError('BAD_USER_INPUT', `expiresInDays: must be 1 to ${MAX_EXPIRY_DAYS}`, {
        field: 'expiresInDays',
      });
    }
    const { prisma, audit } = this.deps;
    const owner = await prisma.user.findUnique({ where: { id: ownerId } });
    if (!owner) throw new AppError('NOT_FOUND', 'No such user.', { id: ownerId });
    if (!owner.active) throw new AppError('CONFLICT', 'The user is deactivated.');
    const scopes = validateRequestedScopes(input.scopes, owner.role);
    let expiresAt = new Date(Date.now() + days * DAY_MS);
    // A token may mint only narrower and shorter-lived tokens: otherwise a leaked 1-day admin token is a 365-day
    // token with every scope.
    if (principal.kind === 'apiToken') {
      const wider = scopes.filter((scope) => !principal.scopes.has(scope));
      if (wider.length > 0)
        throw new AppError('FORBIDDEN', `This API token cannot grant scopes it does not have: ${wider.join(', ')}.`, {
          scopes: wider,
        });
      if (principal.expiresAt) {
        // Days are whole: asking for the parent's remaining (rounded up) days is fine and ends with the parent.
        const remainingDays = Math.ceil((principal.expiresAt.getTime() - Date.now()) / DAY_MS);
        if (days > remainingDays)
          throw new AppError(
            'FORBIDDEN',
            `A token minted by an API token cannot outlive it (it expires ${principal.expiresAt.toISOString()}).`,
            { field: 'expiresInDays' },
          );
        if (expiresAt > principal.expiresAt) expiresAt = principal.expiresAt;
      }
    }
    const token = newSecret('apiToken');
    const apiToken = await audit.change(async (tx, record) => {
      const created = await tx.apiToken.create({
        data: {
          name,
          userId: owner.id,
          createdById: principal.userId,
          tokenHash: hashSecret(token),
          prefix: displayPrefix(token),
          scopes: formatScopes(scopes),
          expiresAt,
        },
      });
      record(actorOf(this.caller), {
        action: 'token.create',
        resourceType: 'ApiToken',
        resourceId: created.id,
        details: { name, ownerId: owner.id, scopes, expiresAt: created.expiresAt?.toISOString() ?? null },
      });
      return created;
    });
    return { token, apiToken };
  }

  async revoke(id: string): Promise<ApiTokenRecord> {
    authorize(this.caller.principal, { scope: 'admin' });
    checkId(id);
    const { prisma, audit } = this.deps;
    const existing = await prisma.apiToken.findUnique({ where: { id } });
    if (!existing) throw new AppError('NOT_FOUND', 'No such API token.', { id });
    this.forUser(existing.userId);
    if (existing.revokedAt) return existing;
    return audit.change(async (tx, record) => {
      const revoked = await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
      record(actorOf(this.caller), {
        action: 'token.revoke',
        resourceType: 'ApiToken',
        resourceId: id,
        details: { name: existing.name, ownerId: existing.userId },
      });
      return revoked;
    });
  }

  async ownerOf(token: ApiTokenRecord): Promise<UserRecord> {
    const owner = await this.loaders.userById.load(token.userId);
    if (!owner) throw new AppError('INTERNAL', 'An API token refers to a missing user.');
    return owner;
  }
}
