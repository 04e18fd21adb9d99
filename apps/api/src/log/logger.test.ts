import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { configureLogging, DEFAULT_LOG_LEVEL, LOG_LEVELS, log } from './logger.js';

describe('log', () => {
  let stdout: MockInstance<typeof console.log>;
  let stderr: MockInstance<typeof console.error>;
  const printed = () => [...stdout.mock.calls, ...stderr.mock.calls].map((args) => String(args[1]));

  beforeEach(() => {
    stdout = vi.spyOn(console, 'log').mockImplementation(() => {});
    stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    configureLogging({ level: DEFAULT_LOG_LEVEL, tag: 'api' });
    vi.restoreAllMocks();
  });

  const everyLevel = () => {
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
  };

  it.each([
    ['debug', ['[worker] d', '[worker] i', '[worker] w', '[worker] e']],
    ['info', ['[worker] i', '[worker] w', '[worker] e']],
    ['warn', ['[worker] w', '[worker] e']],
    ['error', ['[worker] e']],
  ] as const)('at LOG_LEVEL=%s prints that level and the ones above it', (level, expected) => {
    configureLogging({ level, tag: 'worker' });
    everyLevel();
    expect(printed().sort()).toEqual([...expected].sort());
  });

  it('prints debug and info on stdout, warn and error on stderr, details after the line', () => {
    configureLogging({ level: 'debug', tag: 'api' });
    everyLevel();
    const failure = new Error('disk full');
    log.error('could not write 100%s of it', failure);
    expect(stdout.mock.calls.map((args) => args[1])).toEqual(['[api] d', '[api] i']);
    // '%s' first: a `%` in the message is text, not a format directive.
    expect(stderr.mock.calls).toEqual([
      ['%s', '[api] w'],
      ['%s', '[api] e'],
      ['%s', '[api] could not write 100%s of it', failure],
    ]);
  });

  it('prints log.always at every level, even error', () => {
    for (const level of LOG_LEVELS) {
      configureLogging({ level, tag: 'api' });
      log.always('created first admin a@b.test with password x');
    }
    expect(stdout.mock.calls.map((args) => args[1])).toEqual(
      LOG_LEVELS.map(() => '[api] created first admin a@b.test with password x'),
    );
  });

  it('prints from info up as [api] until configured', async () => {
    vi.resetModules();
    const fresh = await import('./logger.js');
    fresh.log.debug('d');
    fresh.log.info('i');
    fresh.log.warn('w');
    fresh.log.error('e');
    expect(printed().sort()).toEqual(['[api] e', '[api] i', '[api] w']);
  });
});
