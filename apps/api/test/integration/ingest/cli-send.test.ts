import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { tokenWith } from './helpers.js';

const run = promisify(execFile);
const ichMl = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@ich/ml/package.json')),
  'bin',
  'ich-ml.js',
);

async function send(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ichMl, 'send', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.each(PROVIDERS)('ich-ml send (STOW-RS client) on %s', (provider) => {
  let t: TestApi;
  let dir = '';
  let token = '';

  beforeAll(async () => {
    t = await startApi(provider, { env: { STABLE_SECONDS: '0.2' } });
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    token = await tokenWith(t, await t.login(admin.user.email, admin.password), ['write:uploads']);
    dir = mkdtempSync(path.join(tmpdir(), 'ich-send-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a folder in batches, skips non-DICOM files, and reports refused instances with exit status 2', async () => {
    const study = synthStudy({ seed: `send-${provider}`, slices: 5, size: 32, bleed: 'none' });
    mkdirSync(path.join(dir, 'study', 'nested'), { recursive: true });
    for (const [i, f] of study.files.entries())
      writeFileSync(path.join(dir, 'study', i % 2 ? 'nested' : '', f.name), f.bytes);
    writeFileSync(path.join(dir, 'study', 'README.txt'), 'not DICOM');
    const ok = await send([path.join(dir, 'study'), '--url', t.url, '--token', token, '--batch', '2', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ files: 6, stored: 5, failed: 0, skipped: 1 });
    const row = await t.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: study.studyInstanceUid } });
    expect(row.instanceCount).toBe(5);

    const truncated = path.join(dir, 'truncated.dcm');
    writeFileSync(truncated, (study.files[0] as (typeof study.files)[number]).bytes.subarray(0, 700));
    const bad = await send([truncated, '--url', `${t.url}/dicom-web`, '--token', token]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/0xC000/);

    const refused = await send([path.join(dir, 'study'), '--url', t.url, '--token', 'icht_not-a-real-token']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
  });
});
