import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch folder removed by the returned function. */
export function scratch(prefix: string): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ich-${prefix}-`));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a Debian reference tool (dcmtk, gdcm, python3-pydicom). They are test dependencies listed in
 * .ci/apt-packages.txt; a missing tool fails the test with a message saying what to install.
 */
export function tool(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (thrown) {
    const e = thrown as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        `${command} is not installed (apt-get install dcmtk libgdcm-tools python3-pydicom python3-numpy)`,
      );
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/** Writes bytes, runs a transcoder from that file to another, and returns the result's bytes. */
export function transcode(
  dir: string,
  name: string,
  input: Uint8Array,
  command: string,
  args: (src: string, dst: string) => string[],
): Uint8Array {
  const src = join(dir, `${name}.in.dcm`);
  const dst = join(dir, `${name}.out.dcm`);
  writeFileSync(src, input);
  tool(command, args(src, dst));
  return readFileSync(dst);
}

/** The system Python with Debian's pydicom/numpy (not a pyenv shim that lacks them). */
export const PYTHON = '/usr/bin/python3';
