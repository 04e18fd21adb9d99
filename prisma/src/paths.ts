import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseProvider } from './providers.js';

// Both src/ (tests, tsx) and dist/ (built) sit one level below the package root, so one relative URL serves both.
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SCHEMA_PATH = join(PACKAGE_ROOT, 'schema.prisma');
export const MIGRATIONS_ROOT = join(PACKAGE_ROOT, 'migrations');

export function migrationsDirFor(provider: DatabaseProvider, root: string = MIGRATIONS_ROOT): string {
  return join(root, provider);
}
