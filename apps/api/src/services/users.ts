import { AppError } from '@ich/errors';
import { z } from 'zod';
import { actorOf, type Tx } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize, type Role } from '../auth/principal.js';
import type { UserRecord } from '../db/records.js';
import { normalizeEmail } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { checkId, checkText } from './ids.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface CreateUserInput {
  email: string;
  name?: string | null;
  role: Role;
  password: string;
}

export interface UpdateUserInput {
  name?: string | null;
  role?: Role | null;
  active?: boolean | null;
}

export const PASSWORD_MIN = 12;
const PASSWORD_MAX = 1024;

export function checkPassword(password: string, field = 'password'): string {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new AppError('BAD_USER_INPUT', `${field}: must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`, {
      field,
    });
  }
  return password;
}

const emailSchema = z.email().max(254);

export interface RevokedCredentials {
  sessions: number;
  apiTokens: number;
}

/**
 * Admin-only management of accounts. Deactivating a user revokes their sessions and API tokens for good (reactivation
 * does not bring them back); a password reset ends their sessions and lifts the login lockout;
 * revokeAllCredentials is the response to a compromised account.
 */
export class UserService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
  ) {}

  private admin() {
    return authorize(this.caller.principal, { scope: 'admin', admin: true });
  }

  async list(): Promise<UserRecord[]> {
    this.admin();
    const users = await this.deps.prisma.user.findMany({ orderBy: [{ email: 'asc' }] });
    await this.deps.audit.append(actorOf(this.caller), { action: 'user.list', details: { count: users.length } });
    return users;
  }

  async create(input: CreateUserInput): Promise<UserRecord> {
    this.admin();
    const email = normalizeEmail(input.email);
    if (!emailSchema.safeParse(email).success)
      throw new AppError('BAD_USER_INPUT', 'email: not a valid email address', { field: 'email' });
    const name = checkText(input.name, 'name', 200) ?? '';
    const passwordHash = await this.deps.passwords.hash(checkPassword(input.password));
    try {
      return await this.deps.audit.change(async (tx, record) => {
        const user = await tx.user.create({ data: { email, name, role: input.role, passwordHash } });
        record(actorOf(this.caller), {
          action: 'user.create',
          resourceType: 'User',
          resourceId: user.id,
          details: { email, role: user.role },
        });
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('CONFLICT', 'A user with this email already exists.', { field: 'email' });
      throw error;
    }
  }

  async update(id: string, input: UpdateUserInput): Promise<UserRecord> {
    const principal = this.admin();
    checkId(id);
    const { prisma, audit } = this.deps;
    const before = await prisma.user.findUnique({ where: { id } });
    if (!before) throw new AppError('NOT_FOUND', 'No such user.', { id });
    const name = checkText(input.name, 'name', 200);
    const role = input.role ?? undefined;
    const active = input.active ?? undefined;
    // An admin removing their own access could leave the system with no one able to manage it.
    if (id === principal.userId && ((role !== undefined && role !== 'ADMIN') || active === false)) {
      throw new AppError('CONFLICT', 'You cannot demote or deactivate yourself; ask another admin.');
    }
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (name !== undefined && name !== before.name) changes['name'] = { from: before.name, to: name };
    if (role !== undefined && role !== before.role) changes['role'] = { from: before.role, to: role };
    if (active !== undefined && active !== before.active) changes['active'] = { from: before.active, to: active };
    return audit.change(async (tx, record) => {
      const user = await tx.user.update({
        where: { id },
        data: {
          ...(name !== undefined ? { name } : {}),
          ...(role ? { role } : {}),
          ...(active !== undefined ? { active } : {}),
        },
      });
      // A deactivated account's secrets are revoked, not merely refused while it is inactive: otherwise reactivating
      // it would bring back every token issued before, including any that leaked.
      const revoked = active === false ? await revokeCredentials(tx, id) : null;
      record(actorOf(this.caller), {
        action: 'user.update',
        resourceType: 'User',
        resourceId: id,
        details: { email: user.email, changes, ...(revoked ? { revoked } : {}) },
      });
      return user;
    });
  }

  async resetPassword(id: string, password: string): Promise<boolean> {
    this.admin();
    checkId(id);
    const passwordHash = await this.deps.passwords.hash(checkPassword(password));
    const { prisma, audit } = this.deps;
    const user = await prisma.user.findUnique({ where: { id }, select: { email: true } });
    if (!user) throw new AppError('NOT_FOUND', 'No such user.', { id });
    await audit.change(async (tx, record) => {
      await tx.user.update({ where: { id }, data: { passwordHash, failedLogins: 0, lockedUntil: null } });
      // The account throttle counts failures since the account's last success; a reset is one, so the owner can sign
      // in with the new password at once. Failures counted against the addresses that sent them stay.
      await tx.loginAttempt.create({
        data: { email: user.email, ipAddress: this.caller.ip ?? 'unknown', success: true },
      });
      const { sessions } = await revokeCredentials(tx, id, { apiTokens: false });
      record(actorOf(this.caller), {
        action: 'user.reset_password',
        resourceType: 'User',
        resourceId: id,
        details: { revoked: { sessions } },
      });
    });
    return true;
  }

  /** Ends every session and revokes every API token of a user, e.g. when the account may be compromised. */
  async revokeAllCredentials(id: string): Promise<RevokedCredentials> {
    this.admin();
    checkId(id);
    const user = await this.deps.prisma.user.findUnique({ where: { id }, select: { email: true } });
    if (!user) throw new AppError('NOT_FOUND', 'No such user.', { id });
    return this.deps.audit.change(async (tx, record) => {
      const revoked = await revokeCredentials(tx, id);
      record(actorOf(this.caller), {
        action: 'user.revoke_credentials',
        resourceType: 'User',
        resourceId: id,
        details: { email: user.email, revoked },
      });
      return revoked;
    });
  }
}

async function revokeCredentials(
  tx: Tx,
  userId: string,
  what: { apiTokens: boolean } = { apiTokens: true },
): Promise<RevokedCredentials> {
  const now = new Date();
  const sessions = await tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  const apiTokens = what.apiTokens
    ? await tx.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } })
    : { count: 0 };
  return { sessions: sessions.count, apiTokens: apiTokens.count };
}
