/**
 * Generates one Prisma client per provider from the one schema.prisma: a client generated for SQLite refuses the
 * PostgreSQL driver adapter and vice versa. Each provider's schema copy goes to src/generated/<provider>.prisma
 * (git-ignored) and its client to src/generated/<provider>/, which `npm run build` compiles into dist/.
 *
 * No network: the CLI fetches its schema engine before any command unless PRISMA_SCHEMA_ENGINE_BINARY names an
 * existing file; `generate` never runs that engine, so any file (node itself) will do.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT, SCHEMA_PATH } from '../src/paths.js';
import { DATABASE_PROVIDERS } from '../src/providers.js';
import { schemaForProvider } from '../src/schema-variants.js';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const outDir = join(PACKAGE_ROOT, 'src', 'generated');
mkdirSync(outDir, { recursive: true });
const source = readFileSync(SCHEMA_PATH, 'utf8');

for (const provider of DATABASE_PROVIDERS) {
  const schemaFile = join(outDir, `${provider}.prisma`);
  writeFileSync(
    schemaFile,
    `// Generated from ../../schema.prisma by scripts/generate.ts; edit that file instead.\n${schemaForProvider(source, provider, `./${provider}`)}`,
  );
  process.stderr.write(`generate: ${provider} client\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaFile], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}`);
    process.stderr.write(`error: prisma generate failed for ${provider} (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
  process.stderr.write(`generate: ${provider} client done in ${Date.now() - started} ms\n`);
}
