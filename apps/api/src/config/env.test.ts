import path from 'node:path';
import { isAppError } from '@ich/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

function failure(env: Record<string, string>): { code: string; message: string } {
  try {
    loadConfig(env, '/srv/ich');
  } catch (e) {
    if (isAppError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('gives the embedded single-machine defaults on an empty environment', () => {
    const c = loadConfig({}, '/srv/ich');
    expect(c.apiPort).toBe(4000);
    expect(c.webPort).toBe(3000);
    expect(c.apiWorkers).toBe(1);
    expect(c.databaseUrl).toBe(`file:${path.join('/srv/ich/data', 'ich.db')}`);
    expect(c.storageDir).toBe('/srv/ich/data/storage');
    expect(c.modelDir).toBe('/srv/ich/data/models/current');
    expect(c.engine).toBe('auto');
    expect(c.introspection).toBe(true);
    expect(c.adminPassword).toBeUndefined();
    expect(c.logLevel).toBe('info');
  });

  it('names the variable and the bad value', () => {
    expect(failure({ API_PORT: 'abc' })).toMatchObject({
      code: 'BAD_CONFIG',
      message: expect.stringMatching(/^API_PORT: .*"abc"/),
    });
    expect(failure({ API_PORT: '70000' }).message).toMatch(/^API_PORT: /);
    expect(failure({ DATABASE_URL: 'mysql://x' }).message).toMatch(
      /^DATABASE_URL: must start with file: .*"mysql:\/\/x"/,
    );
    expect(failure({ ICH_ADMIN_EMAIL: 'not-an-email' }).message).toMatch(/^ICH_ADMIN_EMAIL: /);
    expect(failure({ ICH_ENGINE: 'cuda' }).message).toMatch(/^ICH_ENGINE: /);
    expect(failure({ API_WORKERS: '0' }).message).toMatch(/^API_WORKERS: .*"0"/);
    expect(failure({ GRAPHQL_INTROSPECTION: 'maybe' }).message).toMatch(/^GRAPHQL_INTROSPECTION: /);
    expect(failure({ LOG_LEVEL: 'verbose' }).message).toMatch(/^LOG_LEVEL: .*"verbose"/);
  });

  it('never echoes a password it rejects', () => {
    const f = failure({ ICH_ADMIN_PASSWORD: 'short' });
    expect(f.message).toMatch(/^ICH_ADMIN_PASSWORD: must be at least 12 characters/);
    expect(f.message).not.toContain('short"');
  });

  it('accepts PostgreSQL and explicit paths, and treats blank values as unset', () => {
    const c = loadConfig(
      {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        STORAGE_DIR: 'store',
        API_PORT: ' ',
        NODE_ENV: 'production',
      },
      '/srv/ich',
    );
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(c.storageDir).toBe('/srv/ich/store');
    expect(c.apiPort).toBe(4000);
    expect(c.introspection).toBe(false);
  });
});
