import type { DatabaseProvider } from './providers.js';

/**
 * The one schema file names SQLite; PostgreSQL gets a copy that differs only in the datasource provider (and, for
 * generated clients, the output folder). Keeping the schema to features both providers share is what makes this
 * textual derivation sound: no native types, no scalar lists, no provider-only attributes.
 */
export function schemaForProvider(source: string, provider: DatabaseProvider, output?: string): string {
  let derived = replaceInBlock(source, 'datasource', 'provider', provider);
  if (output !== undefined) derived = replaceInBlock(derived, 'generator', 'output', output);
  return derived;
}

function replaceInBlock(source: string, block: 'datasource' | 'generator', key: string, value: string): string {
  const pattern = new RegExp(`(${block}\\s+\\w+\\s*\\{[^}]*?\\b${key}\\s*=\\s*)"[^"]*"`);
  if (!pattern.test(source)) throw new Error(`schema.prisma has no ${block} block with a ${key} setting`);
  return source.replace(pattern, `$1${JSON.stringify(value)}`);
}
