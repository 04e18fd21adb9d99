import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runSql } from '@ich/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, SYSTEM_ACTOR } from '../../../src/audit/audit-log.js';
import { CheckpointFile, readCheckpointKey, signCheckpoint } from '../../../src/audit/checkpoint.js';
import { auditHash } from '../../../src/audit/hash-chain.js';
import { verifyCsvExport } from '../../../src/audit/offline-verify.js';
// Synthetic actions outside the product's vocabulary: these tests exercise the chain, not what it records.
import type { AuditAction } from '../../../src/audit/vocabulary.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

const run = promisify(execFile);
const VERIFY = '{ verifyAuditLog { ok checked firstBrokenSeq reason checkpoint { seq count } } }';
const CLI = path.resolve(import.meta.dirname, '../../../src/cli/ich-audit.ts');
const TSX = path.resolve(import.meta.dirname, '../../../../../node_modules/.bin/tsx');

interface Verification {
  verifyAuditLog: {
    ok: boolean;
    checked: number;
    firstBrokenSeq: number | null;
    reason: string | null;
    checkpoint: { seq: number; count: number } | null;
  };
}

/** Runs `ich-audit` (from source) and returns its exit status and output. */
async function ichAudit(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [CLI, ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

// Anchoring: truncating the log or rewriting it with recomputed hashes must fail verification, in the API and
// offline, because the checkpoint's HMAC key is not in the database.
describe.each(PROVIDERS)('audit checkpoints on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  beforeEach(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    for (let i = 0; i < 6; i += 1) admin = await t.login(a.user.email, a.password);
    await t.api.audit.flush();
  });
  afterEach(async () => {
    await t?.close();
  });

  const verify = async () => (await t.gql<Verification>(VERIFY, {}, { token: admin })).data?.verifyAuditLog;
  const seqs = async () =>
    (await t.prisma.auditEvent.findMany({ select: { seq: true }, orderBy: { seq: 'asc' } })).map((r) => r.seq);

  it('checks the chain against the newest checkpoint, and detects the newest events deleted', async () => {
    const checkpoint = await t.api.audit.checkpoint();
    expect(checkpoint).not.toBeNull();
    const ok = await verify();
    expect(ok).toMatchObject({ ok: true, checkpoint: { seq: checkpoint!.seq, count: checkpoint!.count } });
    const all = await seqs();
    const cut = all.at(-3)!;
    await runSql(provider, t.databaseUrl, `DELETE FROM "AuditEvent" WHERE "seq" >= ${cut}`);
    const truncated = await verify();
    expect(truncated?.ok).toBe(false);
    expect(truncated?.reason).toMatch(/events were removed/);
  });

  it('detects a row rewritten with every later hash recomputed', async () => {
    await t.api.audit.checkpoint();
    await t.api.audit.flush();
    const rows = await t.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    // The attacker changes the second event and re-links everything after it with plain SHA-256.
    let prevHash = rows[0]!.hash;
    for (const row of rows.slice(1)) {
      const changed = row.seq === rows[1]!.seq ? { ...row, ipAddress: '203.0.113.66', prevHash } : { ...row, prevHash };
      const hash = auditHash(changed);
      await runSql(
        provider,
        t.databaseUrl,
        `UPDATE "AuditEvent" SET "ipAddress" = ${changed.ipAddress === null ? 'NULL' : `'${changed.ipAddress}'`}, "prevHash" = '${prevHash}', "hash" = '${hash}' WHERE "seq" = ${row.seq}`,
      );
      prevHash = hash;
    }
    const r = await verify();
    expect(r?.ok).toBe(false);
    expect(r?.reason).toMatch(/rewritten/);
  });

  it('exports carry a checkpoint that ich-audit verifies offline with the key, and tampering fails', async () => {
    const response = await fetch(`${t.url}/api/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const text = await response.text();
    const key = readCheckpointKey(t.config.auditKeyFile);
    expect(verifyCsvExport(text, key)).toMatchObject({ ok: true, reason: null });
    const dir = path.dirname(t.config.auditCheckpointFile);
    const good = path.join(dir, 'export.csv');
    writeFileSync(good, text);
    const ok = await ichAudit(['verify', good, '--key', t.config.auditKeyFile]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/^ok: \d+ events, hash chain intact, checkpoint seq \d+/);

    // The last two events dropped (with the checkpoint kept): truncation.
    const lines = text.trimEnd().split('\r\n');
    const truncated = path.join(dir, 'truncated.csv');
    writeFileSync(truncated, `${[...lines.slice(0, -3), lines.at(-1)].join('\r\n')}\r\n`);
    const cut = await ichAudit(['verify', truncated, '--key', t.config.auditKeyFile]);
    expect(cut.code).toBe(10);
    expect(cut.out).toMatch(/error: AUDIT_CHAIN_BROKEN: .*events were removed/);

    // The same export checked with another key: the checkpoint is not trusted.
    const otherKey = path.join(dir, 'other.key');
    writeFileSync(otherKey, randomBytes(32).toString('hex'));
    const wrong = await ichAudit(['verify', good, '--key', otherKey]);
    expect(wrong.code).toBe(10);
    expect(wrong.out).toMatch(/not signed with this key/);

    // A checkpoint forged for a rewritten chain needs the key; one signed with another key is refused.
    const forged = signCheckpoint({ seq: 1, headHash: 'f'.repeat(64), count: 1 }, randomBytes(32));
    expect(
      verifyCsvExport(
        text.replace(/#checkpoint,.*\r\n$/, `#checkpoint,"${JSON.stringify(forged).replace(/"/g, '""')}"\r\n`),
        key,
      ).ok,
    ).toBe(false);
  });

  it('writes checkpoints periodically and a last one at shutdown', async () => {
    const file = path.join(path.dirname(t.config.auditCheckpointFile), 'periodic.jsonl');
    const log = new AuditLog(t.prisma, provider, { key: readCheckpointKey(t.config.auditKeyFile), file });
    await log.append(SYSTEM_ACTOR, { action: 'test.periodic' as AuditAction });
    log.startCheckpoints(25);
    const head = async () => (await t.prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } })).seq;
    for (let i = 0; i < 100 && new CheckpointFile(file).latest()?.seq !== (await head()); i += 1)
      await new Promise((r) => setTimeout(r, 25));
    expect(new CheckpointFile(file).latest()?.seq).toBe(await head());
    await log.append(SYSTEM_ACTOR, { action: 'test.last' as AuditAction });
    await log.stopCheckpoints();
    const last = new CheckpointFile(file).latest();
    expect(last?.seq).toBe(await head());
    expect(last?.count).toBe(await t.prisma.auditEvent.count());
  });
});
