import { AppError } from '@ich/errors';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { hashSecret, newSecret } from '../auth/secrets.js';
import type { UserRecord } from '../db/records.js';
import type { ServiceDeps } from './deps.js';
import { hasControlCharacter } from './ids.js';
import { checkPassword } from './users.js';

/** How the auth service hands the session to a browser without knowing about HTTP. */
export interface SessionCookieJar {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: UserRecord;
}

const EMAIL_MAX = 254;
// argon2 cost grows with input; a password longer than any passphrase is refused before hashing.
const PASSWORD_MAX = 1024;
const WRONG_CREDENTIALS = 'Wrong email or password.';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class AuthService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
    private readonly cookies: SessionCookieJar,
  ) {}

  /**
   * Email + password → a new session. Unknown accounts, inactive accounts and wrong passwords get the same answer
   * (and the same argon2 work) so the response does not reveal which accounts exist.
   */
  async login(emailInput: string, password: string): Promise<LoginResult> {
    const email = normalizeEmail(emailInput);
    if (email.length === 0 || email.length > EMAIL_MAX)
      throw new AppError('BAD_USER_INPUT', 'email: must be 1 to 254 characters', { field: 'email' });
    // PostgreSQL text cannot hold NUL; no address contains control characters.
    if (hasControlCharacter(email))
      throw new AppError('BAD_USER_INPUT', 'email: must not contain control characters', { field: 'email' });
    if (password.includes('\u0000'))
      throw new AppError('BAD_USER_INPUT', 'password: must not contain NUL characters', { field: 'password' });
    if (password.length > PASSWORD_MAX)
      throw new AppError('BAD_USER_INPUT', `password: must be at most ${PASSWORD_MAX} characters`, {
        field: 'password',
      });
    const { prisma, audit, passwords } = this.deps;
    const actor = actorOf(this.caller, email);
    const ip = this.caller.ip ?? 'unknown';

    // The attempt is claimed (recorded as a failure) before the password is checked, and the throttle counts the
    // claims already standing, this one included. Claims are totally ordered by their inserts, so however many
    // requests race, only the first `max` of them in a window can find themselves within the limit; counting first
    // and recording after the (slow) argon2 check let 40 parallel guesses all be verified against a limit of 5.
    const claim = await this.claimAttempt(email, ip);
    if ('refused' in claim) {
      const throttled = claim.refused;
      // A lockout, not a wrong password: exported as a DICOM Security Alert (audit/vocabulary.ts).
      await audit.append(actor, {
        action: 'auth.login',
        outcome: 'FAILURE',
        details: { email, reason: throttled, lockout: true },
      });
      throw new AppError('RATE_LIMITED', 'Too many failed sign-ins; try again later.');
    }

    const user = await prisma.user.findUnique({ where: { email } });
    const valid = user ? await passwords.verify(user.passwordHash, password) : await this.equaliseTiming(password);
    if (!user?.active || !valid) {
      if (user) await prisma.user.update({ where: { id: user.id }, data: { failedLogins: { increment: 1 } } });
      await audit.append(user ? { ...actor, type: 'USER', id: user.id } : actor, {
        action: 'auth.login',
        outcome: 'FAILURE',
        resourceType: 'User',
        resourceId: user?.id ?? null,
        details: { email, reason: !user ? 'unknown account' : !user.active ? 'inactive account' : 'wrong password' },
      });
      throw new AppError('UNAUTHENTICATED', WRONG_CREDENTIALS);
    }

    const token = newSecret('session');
    const expiresAt = new Date(Date.now() + this.deps.sessionTtlMs);
    // Separate statements, not one transaction: none depends on another, and on SQLite a transaction on the shared
    // connection would also take in whatever other requests run meanwhile.
    await prisma.loginAttempt.update({ where: { id: claim.id }, data: { success: true } });
    const updated = await prisma.user.update({
      where: { id: user.id },
      data: { failedLogins: 0, lastLoginAt: new Date() },
    });
    const session = await prisma.session.create({
      data: {
        userId: user.id,
        tokenHash: hashSecret(token),
        expiresAt,
        ipAddress: this.caller.ip,
        userAgent: this.caller.userAgent?.slice(0, 512) ?? null,
      },
    });
    await audit.append(
      { ...actor, type: 'USER', id: user.id },
      { action: 'auth.login', resourceType: 'Session', resourceId: session.id, details: { email } },
    );
    this.cookies.set(token, expiresAt);
    return { token, expiresAt, user: updated };
  }

  /** Revokes the calling session. API tokens are revoked with revokeApiToken, not by "logging out". */
  async logout(): Promise<boolean> {
    const p = this.caller.principal;
    this.cookies.clear();
    if (p.kind !== 'session') return false;
    await this.deps.prisma.session.updateMany({
      where: { id: p.sessionId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'auth.logout',
      resourceType: 'Session',
      resourceId: p.sessionId,
    });
    return true;
  }

  /**
   * The signed-in user replaces their own password. Only a browser session may do this (an API token is not the
   * person). The other sessions end, so a password that leaked stops working everywhere at once; the calling session
   * stays signed in. A wrong `current` counts as a failed sign-in for throttling, so this cannot be used to guess.
   */
  async changePassword(current: string, next: string): Promise<boolean> {
    const p = this.caller.principal;
    if (p.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'Sign in first.');
    if (p.kind !== 'session') throw new AppError('FORBIDDEN', 'Only a signed-in person can change their password.');
    if (current.length > PASSWORD_MAX)
      throw new AppError('BAD_USER_INPUT', `current: must be at most ${PASSWORD_MAX} characters`, { field: 'current' });
    checkPassword(next, 'new');
    if (next === current)
      throw new AppError('BAD_USER_INPUT', 'new: must differ from the current password', { field: 'new' });
    const { prisma, audit, passwords } = this.deps;
    const actor = actorOf(this.caller);
    const ip = this.caller.ip ?? 'unknown';
    // Guessing the current password is guessing a password: the same claim-first throttle as login (see there), so
    // parallel guesses cannot all be checked.
    const claim = await this.claimAttempt(p.email, ip);
    if ('refused' in claim) {
      const throttled = claim.refused;
      await audit.append(actor, {
        action: 'auth.change_password',
        outcome: 'FAILURE',
        resourceType: 'User',
        resourceId: p.userId,
        details: { reason: throttled },
      });
      throw new AppError('RATE_LIMITED', 'Too many failed attempts; try again later.');
    }
    const user = await prisma.user.findUnique({ where: { id: p.userId }, select: { passwordHash: true } });
    if (!user || !(await passwords.verify(user.passwordHash, current))) {
      await audit.append(actor, {
        action: 'auth.change_password',
        outcome: 'FAILURE',
        resourceType: 'User',
        resourceId: p.userId,
        details: { reason: 'wrong current password' },
      });
      throw new AppError('BAD_USER_INPUT', 'current: the current password is wrong', { field: 'current' });
    }
    await prisma.loginAttempt.update({ where: { id: claim.id }, data: { success: true } });
    const passwordHash = await passwords.hash(next);
    await prisma.user.update({ where: { id: p.userId }, data: { passwordHash, failedLogins: 0, lockedUntil: null } });
    const revoked = await prisma.session.updateMany({
      where: { userId: p.userId, revokedAt: null, id: { not: p.sessionId } },
      data: { revokedAt: new Date() },
    });
    await audit.append(actor, {
      action: 'auth.change_password',
      resourceType: 'User',
      resourceId: p.userId,
      details: { otherSessionsRevoked: revoked.count },
    });
    return true;
  }

  /**
   * Whether the user still has a password someone else chose: the bootstrap's generated one (no event at all), or one
   * set by an admin (user.create, user.reset_password) and not replaced by their own auth.change_password since.
   * Only answered for the caller themselves; these events are rare, so the newest one is a cheap lookup.
   */
  async passwordChangeRequired(user: UserRecord): Promise<boolean> {
    const p = this.caller.principal;
    if (p.kind === 'anonymous' || p.userId !== user.id) return false;
    const last = await this.deps.prisma.auditEvent.findFirst({
      where: {
        resourceType: 'User',
        resourceId: user.id,
        outcome: 'SUCCESS',
        action: { in: ['user.create', 'user.reset_password', 'auth.change_password'] },
      },
      orderBy: { seq: 'desc' },
      select: { action: true },
    });
    return last?.action !== 'auth.change_password';
  }

  async me(): Promise<UserRecord | null> {
    const p = this.caller.principal;
    if (p.kind === 'anonymous') return null;
    return this.deps.prisma.user.findUnique({ where: { id: p.userId } });
  }

  /** Returns why the attempt is refused, or null. The caller's own claim is among the failures counted. */
  /**
   * Records an attempt as a failure before its password is checked, then asks the throttle, which counts the claims
   * standing, this one included. A refused claim is withdrawn: it was never checked, so it is not a failure of its
   * own (the claims ahead of it keep the account or address locked for the window).
   */
  private async claimAttempt(email: string, ip: string): Promise<{ id: string } | { refused: string }> {
    const { prisma } = this.deps;
    const claim = await prisma.loginAttempt.create({ data: { email, ipAddress: ip, success: false } });
    const refused = await this.throttled(email, ip);
    if (refused === null) return { id: claim.id };
    await prisma.loginAttempt.delete({ where: { id: claim.id } });
    return { refused };
  }

  private async throttled(email: string, ip: string): Promise<string | null> {
    const { prisma, throttle } = this.deps;
    const since = new Date(Date.now() - throttle.windowMs);
    const lastSuccess = await prisma.loginAttempt.findFirst({
      where: { email, success: true, createdAt: { gte: since } },
      orderBy: { createdAt: 'desc' },
      select: { createdAt: true },
    });
    const [accountFailures, addressFailures] = await Promise.all([
      prisma.loginAttempt.count({
        where: { email, success: false, createdAt: { gte: lastSuccess?.createdAt ?? since } },
      }),
      prisma.loginAttempt.count({ where: { ipAddress: ip, success: false, createdAt: { gte: since } } }),
    ]);
    if (accountFailures > throttle.maxFailuresPerAccount) return 'too many failures for this account';
    if (addressFailures > throttle.maxFailuresPerAddress) return 'too many failures from this address';
    return null;
  }

  private async equaliseTiming(password: string): Promise<false> {
    let dummy = dummyHashes.get(this.deps.passwords);
    if (!dummy) {
      dummy = this.deps.passwords.hash('not-a-real-password');
      dummyHashes.set(this.deps.passwords, dummy);
    }
    await this.deps.passwords.verify(await dummy, password);
    return false;
  }
}

// One throwaway hash per hasher (services are built per request), made with the same parameters as real ones.
const dummyHashes = new WeakMap<object, Promise<string>>();
