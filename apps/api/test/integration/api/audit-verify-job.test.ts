import { runSql } from '@ich/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

const VERIFY = '{ verifyAuditLog { ok checked reason verifiedAt durationMs running } }';

interface Verification {
  verifyAuditLog: {
    ok: boolean;
    checked: number;
    reason: string | null;
    verifiedAt: string;
    durationMs: number;
    running: boolean;
  };
}

// verifyAuditLog is a background job with a cached result; a failed verification raises a security alert.
describe.each(PROVIDERS)('audit verification in the background on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  beforeAll(async () => {
    t = await startApi(provider);
    const { user, password } = await createUser(t.prisma, { role: 'ADMIN' });
    admin = await t.login(user.email, password);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers from the last completed verification without walking the chain in the request', async () => {
    const completed = await t.api.audit.verify();
    const audit = t.api.audit;
    const scan = audit.scan.bind(audit);
    let walks = 0;
    // Counts whole-chain walks; the scan itself runs unchanged.
    audit.scan = (...args: Parameters<typeof scan>) => {
      if (args[2] === undefined || args[2] === null) walks += 1;
      return scan(...args);
    };
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => t.gql<Verification>(VERIFY, {}, { token: admin })),
      );
      for (const a of answers) {
        expect(a.errors).toBeUndefined();
        expect(a.data?.verifyAuditLog).toMatchObject({
          ok: true,
          checked: completed.checked,
          verifiedAt: completed.verifiedAt.toISOString(),
        });
      }
      // The cached result is younger than 10 s: the requests started no walk of their own.
      expect(walks).toBe(0);
    } finally {
      audit.scan = scan;
    }
  });

  it('verifies periodically and raises one security alert for a chain that stops verifying', async () => {
    // Every 0.01 minutes (600 ms), so the periodic verification can be watched.
    const p = await startApi(provider, { env: { AUDIT_VERIFY_MINUTES: '0.01' } });
    try {
      await periodic(p);
    } finally {
      await p.close();
    }
  });

  async function periodic(t: TestApi): Promise<void> {
    const { user, password } = await createUser(t.prisma, { role: 'ADMIN' });
    const admin = await t.login(user.email, password);
    await t.api.audit.flush();
    const victim = await t.prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: 'asc' } });
    await runSql(provider, t.databaseUrl, `UPDATE "AuditEvent" SET "action" = 'forged' WHERE "seq" = ${victim.seq}`);
    const alerts = () => t.prisma.auditEvent.findMany({ where: { action: 'security.alert' } });
    const deadline = Date.now() + 20_000;
    while ((await alerts()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const raised = await alerts();
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ actorType: 'SYSTEM', outcome: 'FAILURE' });
    expect(JSON.parse(raised[0]!.details)).toMatchObject({ alert: 'AUDIT_CHAIN_BROKEN', firstBrokenSeq: victim.seq });
    // Nobody asked: the periodic job found it, and readers now get its result.
    const answer = await t.gql<Verification>(VERIFY, {}, { token: admin });
    expect(answer.data?.verifyAuditLog.ok).toBe(false);
    // Later periods find the same break: no second alert for it.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await alerts()).toHaveLength(1);
  }
});
