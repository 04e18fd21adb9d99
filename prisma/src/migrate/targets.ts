import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { createMigrationPostgresAdapter } from '../adapters/postgresql.js';
import { createSqliteAdapter } from '../adapters/sqlite.js';
import type { DatabaseTarget } from '../database-url.js';

/** The adapter factory the schema engine uses for a database; a SQLite file's folder is created first. */
export async function migrationAdapterFor(target: DatabaseTarget): Promise<SqlMigrationAwareDriverAdapterFactory> {
  if (target.provider === 'sqlite') {
    await mkdir(dirname(target.filePath), { recursive: true });
    return createSqliteAdapter(target.filePath);
  }
  return createMigrationPostgresAdapter(target.url);
}

/** A datasource-only schema: enough for the engine to introspect a live database of that provider. */
export function datasourceOnlySchema(provider: DatabaseTarget['provider']): {
  files: { path: string; content: string }[];
  configDir: string;
} {
  return {
    files: [{ path: 'schema.prisma', content: `datasource db {\n  provider = "${provider}"\n}\n` }],
    configDir: process.cwd(),
  };
}

export const NO_FILTER = { externalTables: [], externalEnums: [] };
