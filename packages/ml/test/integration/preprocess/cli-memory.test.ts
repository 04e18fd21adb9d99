import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch } from './helpers.js';

/** Huge and endless inputs to the CLI: refused with a code, never read into memory. */
const BIN = fileURLToPath(new URL('../../../bin/ich-ml.js', import.meta.url));
const tmp = scratch('cli-memory');
const feeders: ChildProcess[] = [];
afterAll(() => {
  for (const feeder of feeders) feeder.kill('SIGKILL');
  tmp.remove();
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string; signal: string | null } {
  // 256 MiB of heap: reading a huge input whole would die here instead of passing slowly.
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** A sparse file of `size` (e.g. 3G): no disk used, but any reader that trusts its size allocates that much. */
function sparse(name: string, size: string): string {
  const path = tmp.path(name);
  execFileSync('truncate', ['-s', size, path]);
  return path;
}

/** A FIFO with a child writing zeros into it without end (what /dev/zero through a pipe looks like). */
function endless(name: string): string {
  const path = tmp.path(name);
  execFileSync('mkfifo', [path]);
  const feeder = spawn('sh', ['-c', `exec cat /dev/zero > '${path}'`], { stdio: 'ignore' });
  feeders.push(feeder);
  return path;
}

describe('ich-ml memory bounds', () => {
  it('preprocess refuses a sparse 3 GiB file with FILE_TOO_LARGE (exit 2)', () => {
    const r = cli(['preprocess', sparse('huge.dcm', '3G')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/FILE_TOO_LARGE/);
  });

  it('preprocess refuses a FIFO fed without end instead of reading it', () => {
    const r = cli(['preprocess', endless('endless.dcm')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/FIFO, not a regular file/);
  });

  it('send refuses a huge file and an endless FIFO with their codes (exit 2), reading neither', () => {
    const folder = tmp.path('send');
    execFileSync('mkdir', [folder]);
    execFileSync('truncate', ['-s', '1G', `${folder}/huge.dcm`]);
    const fifo = endless('send-endless.dcm');
    // Nothing is left to send, so the (closed) port is never contacted.
    const r = cli(['send', folder, fifo, '--url', 'http://127.0.0.1:9', '--token', 'x', '--json']);
    expect(r.stderr).not.toMatch(/INTERNAL|heap/);
    expect(r.status).toBe(2);
    const summary = JSON.parse(r.stdout) as { stored: number; failures: Array<{ file: string; reason: string }> };
    expect(summary.stored).toBe(0);
    expect(summary.failures.map((f) => [f.file, f.reason.split(':')[0]]).sort()).toEqual(
      [
        [`${folder}/huge.dcm`, 'FILE_TOO_LARGE'],
        [fifo, 'BAD_USER_INPUT'],
      ].sort(),
    );
  });
});
