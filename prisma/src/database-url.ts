import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@ich/errors';
import type { DatabaseProvider } from './providers.js';

export type DatabaseTarget =
  | { provider: 'sqlite'; url: string /** absolute path of the database file */; filePath: string }
  | { provider: 'postgresql'; url: string };

/**
 * Reads DATABASE_URL (or another variable, named in errors): `file:<path>` selects SQLite (a relative path is
 * resolved against the working directory, like a shell would), `postgres://` or `postgresql://` selects
 * PostgreSQL. Anything else is a configuration error; the message names the variable and the scheme but never
 * echoes the URL, which may hold a password.
 */
export function parseDatabaseUrl(url: string, variable = 'DATABASE_URL'): DatabaseTarget {
  const value = url.trim();
  if (value === '')
    throw new AppError(
      'BAD_CONFIG',
      `${variable} is empty; use file:<path> (SQLite) or postgresql://... (PostgreSQL)`,
      { variable },
    );
  if (value.startsWith('file:')) return { provider: 'sqlite', url: value, filePath: sqliteFilePath(value, variable) };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new AppError('BAD_CONFIG', `${variable} is not a valid PostgreSQL URL`, { variable });
    }
    return { provider: 'postgresql', url: value };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
  throw new AppError(
    'BAD_CONFIG',
    `${variable} must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL); got ${scheme ? `"${scheme}:"` : 'no scheme'}`,
    { variable },
  );
}

export function providerOf(url: string, variable = 'DATABASE_URL'): DatabaseProvider {
  return parseDatabaseUrl(url, variable).provider;
}

function sqliteFilePath(url: string, variable: string): string {
  // Prisma accepts `file:./dev.db?connection_limit=1`; the query part is for its engine, not part of the path.
  const withoutQuery = url.replace(/\?.*$/, '');
  const path = withoutQuery.startsWith('file://') ? fileURLToPath(withoutQuery) : withoutQuery.slice('file:'.length);
  if (path === '' || path === ':memory:') {
    throw new AppError(
      'BAD_CONFIG',
      `${variable} must name a SQLite file (file:./data/ich.db), not ${path === '' ? 'an empty path' : 'an in-memory database'}`,
      { variable },
    );
  }
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
