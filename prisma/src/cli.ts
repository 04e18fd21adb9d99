#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AppError, exitStatusFor, formatCliError, toAppError } from '@ich/errors';
import { createMigration } from './migrate/create.js';
import { deployMigrations } from './migrate/deploy.js';
import { describeStatus, migrationStatus, statusError } from './migrate/status.js';
import { DATABASE_PROVIDERS, type DatabaseProvider, isDatabaseProvider } from './providers.js';

const USAGE = `usage: ich-migrate <command> [options]

commands:
  deploy               apply pending migrations to DATABASE_URL (idempotent)
  status               applied / pending / drift for DATABASE_URL; exit status is non-zero unless up to date
  create <name>        write the next migration for SQLite and PostgreSQL from schema.prisma

options:
  --database-url URL   instead of $DATABASE_URL (deploy, status)
  --migrations DIR     folder holding sqlite/ and postgresql/ histories (default: the package's migrations/)
  --schema FILE        schema to create a migration for (default: the package's schema.prisma)
  --provider NAME      create for one provider only: ${DATABASE_PROVIDERS.join(' or ')}
  --postgres-url URL   scratch PostgreSQL server for create (default: $ICH_MIGRATE_POSTGRES_URL or local)`;

const log = (line: string) => process.stderr.write(`${line}\n`);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  try {
    const { values, positionals } = parse(rest);
    const migrationsRoot = values.migrations;
    const databaseUrl = () => {
      const url = values['database-url'] ?? process.env.DATABASE_URL;
      if (!url)
        throw new AppError('BAD_CONFIG', 'DATABASE_URL is not set (or pass --database-url)', {
          variable: 'DATABASE_URL',
        });
      return url;
    };
    switch (command) {
      case 'deploy': {
        const result = await deployMigrations({ databaseUrl: databaseUrl(), migrationsRoot, log });
        process.stdout.write(
          `${result.provider}: ${result.applied.length ? `applied ${result.applied.length} migration(s)` : 'no pending migrations'}; ${result.total} in history\n`,
        );
        return 0;
      }
      case 'status': {
        const status = await migrationStatus({ databaseUrl: databaseUrl(), migrationsRoot });
        process.stdout.write(`${describeStatus(status)}\n`);
        const problem = statusError(status);
        if (!problem) return 0;
        process.stderr.write(`${formatCliError(problem)}\n`);
        return exitStatusFor(problem.code);
      }
      case 'create': {
        const [name, extra] = positionals;
        if (!name || extra !== undefined)
          throw new AppError(
            'BAD_USER_INPUT',
            'create takes exactly one migration name, e.g. ich-migrate create add_study_site',
          );
        const provider = values.provider;
        if (provider !== undefined && !isDatabaseProvider(provider))
          throw new AppError('BAD_USER_INPUT', `--provider must be one of ${DATABASE_PROVIDERS.join(', ')}`);
        const providers: DatabaseProvider[] | undefined = provider ? [provider] : undefined;
        const created = await createMigration({
          name,
          providers,
          migrationsRoot,
          schemaPath: values.schema,
          postgresUrl: values['postgres-url'],
          log,
        });
        for (const c of created) process.stdout.write(`${c.provider}: ${c.file ?? 'no changes'}\n`);
        return 0;
      }
      default:
        throw new AppError('BAD_USER_INPUT', `unknown command "${command}"; run ich-migrate --help`);
    }
  } catch (thrown) {
    const error = toAppError(thrown);
    process.stderr.write(`${formatCliError(error)}\n`);
    if (error.code === 'INTERNAL' && process.env.ICH_DEBUG)
      process.stderr.write(`${String((thrown as Error)?.stack ?? thrown)}\n`);
    return exitStatusFor(error.code);
  }
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        migrations: { type: 'string' },
        schema: { type: 'string' },
        provider: { type: 'string' },
        'postgres-url': { type: 'string' },
      },
    });
  } catch (cause) {
    throw new AppError(
      'BAD_USER_INPUT',
      `${cause instanceof Error ? cause.message : String(cause)} (run ich-migrate --help)`,
    );
  }
}

const status = await main(process.argv.slice(2));
// Exit explicitly once output is flushed: after applyMigrations on PostgreSQL the Wasm engine leaves its 10 s
// advisory-lock timer pending, which would otherwise keep the process alive that long after the work is done.
process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
