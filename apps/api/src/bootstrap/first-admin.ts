import { randomBytes } from 'node:crypto';
import { AppError } from '@ich/errors';
import { Prisma, type PrismaClient } from '@ich/prisma';
import { createPasswordHasher } from '../auth/password.js';

export interface FirstAdminOptions {
  /** ICH_ADMIN_EMAIL. */
  email: string;
  /** ICH_ADMIN_PASSWORD; when absent a strong password is generated and returned once. */
  password?: string | undefined;
  name?: string;
  passwords?: { hash(password: string): Promise<string> };
}

export type FirstAdminResult =
  | { created: false }
  | {
      created: true;
      userId: string;
      email: string;
      /** Set only when no password was configured: print it once, it is not stored anywhere in clear. */
      generatedPassword: string | null;
    };

/**
 * A fresh installation needs one person who can sign in and create the others. When no ADMIN account exists, one is
 * created from ICH_ADMIN_EMAIL / ICH_ADMIN_PASSWORD (or a generated password). When any ADMIN exists nothing
 * happens: an existing password is never reset from the environment, so a restart cannot silently change who
 * holds the admin account. Two instances starting at once race on the unique email; the loser creates nothing.
 */
export async function ensureFirstAdmin(prisma: PrismaClient, options: FirstAdminOptions): Promise<FirstAdminResult> {
  if ((await prisma.user.count({ where: { role: 'ADMIN' } })) > 0) return { created: false };
  const email = options.email.trim().toLowerCase();
  const existing = await prisma.user.findUnique({ where: { email }, select: { role: true } });
  // A concurrent start may have created this admin since the count above: that start won the race.
  if (existing?.role === 'ADMIN') return { created: false };
  if (existing) {
    throw new AppError(
      'CONFLICT',
      `ICH_ADMIN_EMAIL ${email} belongs to an existing non-admin account; promote it or choose another email`,
      { variable: 'ICH_ADMIN_EMAIL' },
    );
  }
  const generatedPassword = options.password ? null : generatePassword();
  const password = options.password ?? generatedPassword ?? '';
  const passwordHash = await (options.passwords ?? createPasswordHasher()).hash(password);
  try {
    const user = await prisma.user.create({
      data: { email, name: options.name ?? 'Administrator', role: 'ADMIN', passwordHash },
    });
    return { created: true, userId: user.id, email, generatedPassword };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return { created: false };
    throw error;
  }
}

/** 144 random bits as 24 URL-safe characters: strong, and survives copy-paste from a terminal. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
