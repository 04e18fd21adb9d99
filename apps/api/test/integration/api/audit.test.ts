import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, SYSTEM_ACTOR } from '../../../src/audit/audit-log.js';
import { readCheckpointKey } from '../../../src/audit/checkpoint.js';
import { CSV_COLUMNS, parseCsv } from '../../../src/audit/export-format.js';
import { verifyCsvExport } from '../../../src/audit/offline-verify.js';
// Synthetic actions outside the product's vocabulary: these tests exercise the chain, not what it records.
import type { AuditAction } from '../../../src/audit/vocabulary.js';
import { createDatabaseClient } from '../../../src/db/index.js';
import { buildSchema } from '../../../src/graphql/schema.js';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

describe.each(PROVIDERS)('audit log on %s', (provider) => {
  let t: TestApi;
  let admin = { id: '', email: '', token: '' };
  let clinician = { id: '', email: '', token: '' };
  let studyId = '';
  let patientId = '';
  const from = (ip: string) => ({ 'x-forwarded-for': ip, 'user-agent': 'audit-test/1.0' });

  beforeAll(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    const c = await createUser(t.prisma, { role: 'CLINICIAN' });
    admin = {
      id: a.user.id,
      email: a.user.email,
      token: await t.login(a.user.email, a.password, { headers: from('10.0.0.1') }),
    };
    clinician = {
      id: c.user.id,
      email: c.user.email,
      token: await t.login(c.user.email, c.password, { headers: from('10.0.0.2') }),
    };
    const model = await createModelVersion(t.prisma);
    const s = await createStudy(t.prisma, { modelVersionId: model.id, labels: ['subdural'] });
    studyId = s.study.id;
    patientId = s.patient.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const latest = async (action: string) => {
    await t.api.audit.flush();
    return t.prisma.auditEvent.findFirstOrThrow({ where: { action }, orderBy: { seq: 'desc' } });
  };

  it('records logins, failed logins and logouts with who and from where', async () => {
    const login = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'auth.login', actorId: clinician.id, outcome: 'SUCCESS' },
    });
    expect(login).toMatchObject({
      actorType: 'USER',
      actorLabel: clinician.email,
      ipAddress: '10.0.0.2',
      userAgent: 'audit-test/1.0',
    });
    await t.gql(
      'mutation { login(email: "nobody@example.org", password: "whatever-password") { token } }',
      {},
      { headers: from('10.0.0.9') },
    );
    expect(await latest('auth.login')).toMatchObject({
      outcome: 'FAILURE',
      actorType: 'ANONYMOUS',
      actorLabel: 'nobody@example.org',
      ipAddress: '10.0.0.9',
    });
    await t.gql(
      'mutation($e: String!) { login(email: $e, password: "wrong-password") { token } }',
      { e: clinician.email },
      { headers: from('10.0.0.8') },
    );
    const wrong = await latest('auth.login');
    expect(wrong).toMatchObject({
      outcome: 'FAILURE',
      actorType: 'USER',
      actorId: clinician.id,
      ipAddress: '10.0.0.8',
    });
    expect(JSON.parse(wrong.details)).toMatchObject({ reason: 'wrong password' });
    const session = await createUser(t.prisma);
    const token = await t.login(session.user.email, session.password);
    await t.gql('mutation { logout }', {}, { token, headers: from('10.0.0.3') });
    expect(await latest('auth.logout')).toMatchObject({
      outcome: 'SUCCESS',
      actorId: session.user.id,
      ipAddress: '10.0.0.3',
    });
  });

  it('records every read of patient data: which study or patient, by whom, from where', async () => {
    await t.gql(
      'query($id: ID!) { study(id: $id) { id patient { name } } }',
      { id: studyId },
      { token: clinician.token, headers: from('10.0.0.4') },
    );
    expect(await latest('study.read')).toMatchObject({
      actorId: clinician.id,
      studyId,
      patientId,
      ipAddress: '10.0.0.4',
      outcome: 'SUCCESS',
    });
    await t.gql('{ studies(first: 10) { edges { node { id } } } }', {}, { token: clinician.token });
    const list = await latest('study.list');
    expect(JSON.parse(list.details)).toMatchObject({ studyIds: [studyId] });
    await t.gql('query($id: ID!) { patient(id: $id) { name } }', { id: patientId }, { token: clinician.token });
    expect(await latest('patient.read')).toMatchObject({ actorId: clinician.id, patientId, resourceId: patientId });
    await t.gql('{ patients { edges { node { name } } } }', {}, { token: clinician.token });
    expect(JSON.parse((await latest('patient.list')).details)).toMatchObject({ patientIds: [patientId] });
    // An API token read is attributed to its owner, with the token named.
    const tokenResult = await t.gql<{ createApiToken: { token: string; apiToken: { id: string } } }>(
      'mutation { createApiToken(input: { name: "reader", scopes: ["read:studies"] }) { token apiToken { id } } }',
      {},
      { token: admin.token },
    );
    await t.gql(
      'query($id: ID!) { study(id: $id) { id } }',
      { id: studyId },
      { token: tokenResult.data!.createApiToken.token },
    );
    expect(await latest('study.read')).toMatchObject({
      actorType: 'API_TOKEN',
      actorId: admin.id,
      actorLabel: expect.stringContaining(tokenResult.data!.createApiToken.apiToken.id),
    });
  });

  it('records reviews, reprocessing and admin changes', async () => {
    await t.gql(
      'mutation($id: ID!) { reviewStudy(id: $id, verdict: AGREE) { id } }',
      { id: studyId },
      { token: clinician.token },
    );
    expect(await latest('review.create')).toMatchObject({
      actorId: clinician.id,
      studyId,
      patientId,
      // The verdict names the flag it judged and the version that set it (accuracy in use credits that version).
      details: expect.stringMatching(/^\{"verdict":"AGREE","triage":(true|false),"modelVersionId":"[^"]+"\}$/),
    });
    await t.gql('mutation($id: ID!) { reprocessStudy(id: $id) { id } }', { id: studyId }, { token: clinician.token });
    expect(await latest('study.reprocess')).toMatchObject({ studyId });
    const created = await t.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "new.doc@example.org", role: CLINICIAN, password: "a-long-password-1" }) { id } }',
      {},
      { token: admin.token },
    );
    const newId = created.data!.createUser.id;
    expect(await latest('user.create')).toMatchObject({ actorId: admin.id, resourceId: newId });
    await t.gql(
      'mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id } }',
      { id: newId },
      { token: admin.token },
    );
    expect(JSON.parse((await latest('user.update')).details)).toMatchObject({
      changes: { active: { from: true, to: false } },
    });
    await t.gql(
      'mutation($id: ID!) { resetPassword(id: $id, password: "another-long-password") }',
      { id: newId },
      { token: admin.token },
    );
    expect(await latest('user.reset_password')).toMatchObject({ resourceId: newId });
    const tok = await t.gql<{ createApiToken: { apiToken: { id: string } } }>(
      'mutation { createApiToken(input: { name: "x", scopes: ["write:uploads"] }) { apiToken { id } } }',
      {},
      { token: admin.token },
    );
    const tokenId = tok.data!.createApiToken.apiToken.id;
    expect(await latest('token.create')).toMatchObject({ resourceId: tokenId });
    await t.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: tokenId }, { token: admin.token });
    expect(await latest('token.revoke')).toMatchObject({ resourceId: tokenId });
    const model = await createModelVersion(t.prisma);
    await t.gql('mutation($id: ID!) { activateModel(id: $id) { id } }', { id: model.id }, { token: admin.token });
    expect(await latest('model.activate')).toMatchObject({ resourceId: model.id });
  });

  it('offers no way to change or delete events through the API', () => {
    const mutations = Object.keys(buildSchema().getMutationType()!.getFields());
    expect(mutations.filter((m) => /audit/i.test(m))).toEqual([]);
  });

  it('lists events for admins, newest first, with filters and cursors', async () => {
    type R = {
      auditEvents: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: Array<{ node: { seq: number; action: string; studyId: string | null } }>;
      };
    };
    const q =
      'query($f: AuditFilter, $after: String) { auditEvents(filter: $f, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { seq action studyId } } } }';
    const p1 = await t.gql<R>(q, { f: { studyId } }, { token: admin.token });
    expect(p1.errors).toBeUndefined();
    const p2 = await t.gql<R>(
      q,
      { f: { studyId }, after: p1.data!.auditEvents.pageInfo.endCursor },
      { token: admin.token },
    );
    const seqs = [...p1.data!.auditEvents.edges, ...p2.data!.auditEvents.edges].map((e) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(p1.data!.auditEvents.totalCount).toBeGreaterThanOrEqual(4);
    for (const e of [...p1.data!.auditEvents.edges, ...p2.data!.auditEvents.edges])
      expect(e.node.studyId).toBe(studyId);
  });

  it('completes appends issued one after another, each right after the previous one resolves', async () => {
    const before = await t.prisma.auditEvent.count();
    for (let i = 0; i < 5; i += 1)
      await t.api.audit.append(SYSTEM_ACTOR, { action: 'test.sequential' as AuditAction, details: { i } });
    expect(await t.prisma.auditEvent.count()).toBe(before + 5);
  });

  it('keeps the chain intact under concurrent appends', async () => {
    await Promise.all(
      Array.from({ length: 40 }, () =>
        t.gql('query($id: ID!) { study(id: $id) { id } }', { id: studyId }, { token: clinician.token }),
      ),
    );
    const r = await t.gql<{ verifyAuditLog: { ok: boolean; checked: number; firstBrokenSeq: number | null } }>(
      '{ verifyAuditLog { ok checked firstBrokenSeq reason } }',
      {},
      { token: admin.token },
    );
    expect(r.data?.verifyAuditLog).toMatchObject({ ok: true, firstBrokenSeq: null });
    expect(r.data!.verifyAuditLog.checked).toBeGreaterThan(40);
  });

  it('keeps one chain when several processes append (advisory lock on PostgreSQL, compare-and-swap on SQLite)', async () => {
    // A second client (its own connection or pool) stands in for a second process on the same database.
    const other = await createDatabaseClient(t.databaseUrl);
    try {
      const second = new AuditLog(other.prisma, provider);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => [
          t.api.audit.append(SYSTEM_ACTOR, { action: 'test.process_a' as AuditAction, details: { i } }),
          second.append(SYSTEM_ACTOR, { action: 'test.process_b' as AuditAction, details: { i } }),
        ]).flat(),
      );
      await second.flush();
    } finally {
      await other.close();
    }
    const r = await t.gql<{ verifyAuditLog: { ok: boolean } }>(
      '{ verifyAuditLog { ok firstBrokenSeq reason } }',
      {},
      { token: admin.token },
    );
    expect(r.data?.verifyAuditLog).toMatchObject({ ok: true });
    expect(await t.prisma.auditEvent.count({ where: { action: { in: ['test.process_a', 'test.process_b'] } } })).toBe(
      60,
    );
  });

  it("links onto the other process's events when the head this process remembers is stale", async () => {
    // Strictly alternating appends: every append starts from a head the other process has since moved.
    const other = await createDatabaseClient(t.databaseUrl);
    try {
      const second = new AuditLog(other.prisma, provider);
      for (let i = 0; i < 6; i += 1) {
        await t.api.audit.append(SYSTEM_ACTOR, { action: 'test.alternate_a' as AuditAction, details: { i } });
        await second.append(SYSTEM_ACTOR, { action: 'test.alternate_b' as AuditAction, details: { i } });
      }
    } finally {
      await other.close();
    }
    const rows = await t.prisma.auditEvent.findMany({
      where: { action: { in: ['test.alternate_a', 'test.alternate_b'] } },
      orderBy: { seq: 'asc' },
    });
    expect(rows.map((r) => r.action)).toEqual(
      Array.from({ length: 6 }, () => ['test.alternate_a', 'test.alternate_b']).flat(),
    );
    for (let i = 1; i < rows.length; i += 1) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    const r = await t.gql<{ verifyAuditLog: { ok: boolean } }>(
      '{ verifyAuditLog { ok firstBrokenSeq reason } }',
      {},
      { token: admin.token },
    );
    expect(r.data?.verifyAuditLog).toMatchObject({ ok: true });
  });

  it('exports CSV that parses and re-verifies, and FHIR AuditEvent JSON', async () => {
    const csv = await fetch(`${t.url}/api/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="audit-.*\.csv"/);
    const text = await csv.text();
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    // Every event up to the head the export was cut at, then the signed checkpoint of that head.
    expect(rows.at(-1)?.[0]).toBe('#checkpoint');
    const events = rows.slice(1, -1).map((cells) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, cells[i]])));
    expect(events.length).toBe(await t.prisma.auditEvent.count());
    expect(events.at(-1)?.['action']).toBe('audit.export');
    const offline = verifyCsvExport(text, readCheckpointKey(t.config.auditKeyFile));
    expect(offline).toMatchObject({ ok: true, events: events.length, reason: null });

    const fhir = await fetch(`${t.url}/api/audit/export?format=fhir&action=study.read`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(fhir.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const bundle = (await fhir.json()) as {
      resourceType: string;
      type: string;
      entry: Array<{ resource: Record<string, unknown> & { entity?: Array<{ what: { reference?: string } }> } }>;
    };
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.entry.length).toBe(await t.prisma.auditEvent.count({ where: { action: 'study.read' } }));
    for (const { resource } of bundle.entry)
      expect(resource).toMatchObject({
        resourceType: 'AuditEvent',
        // IHE BALP: the DICOM audit event ID as type, the product's action as subtype (audit/vocabulary.ts).
        type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110103' },
        action: 'R',
        subtype: [{ code: 'study.read' }],
      });
    expect(bundle.entry.some((e) => e.resource.entity?.some((x) => x.what.reference === `Patient/${patientId}`))).toBe(
      true,
    );
    expect(await latest('audit.export')).toMatchObject({
      actorId: admin.id,
      details: expect.stringContaining('"format":"fhir"'),
    });
  });

  it('refuses exports to non-admins and bad parameters with coded errors', async () => {
    const get = (query: string, token?: string) =>
      fetch(`${t.url}/api/audit/export?${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const anon = await get('format=csv');
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Sign in first.' } });
    const clin = await get('format=csv', clinician.token);
    expect(clin.status).toBe(403);
    expect(((await clin.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const bad = await get('format=xml', admin.token);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
  });

  it('detects a tampered event and a deleted one', async () => {
    const verify = async () =>
      (
        await t.gql<{ verifyAuditLog: { ok: boolean; firstBrokenSeq: number | null; reason: string | null } }>(
          '{ verifyAuditLog { ok firstBrokenSeq reason } }',
          {},
          { token: admin.token },
        )
      ).data!.verifyAuditLog;
    expect((await verify()).ok).toBe(true);
    const victim = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'study.read' },
      orderBy: { seq: 'asc' },
    });
    // Someone with database access rewrites who read the study.
    await t.prisma.$executeRawUnsafe(
      `UPDATE "AuditEvent" SET "actorLabel" = 'someone-else' WHERE "seq" = ${victim.seq}`,
    );
    expect(await verify()).toMatchObject({
      ok: false,
      firstBrokenSeq: victim.seq,
      reason: expect.stringContaining('altered'),
    });
    await t.prisma.$executeRawUnsafe(
      `UPDATE "AuditEvent" SET "actorLabel" = '${victim.actorLabel.replaceAll("'", "''")}' WHERE "seq" = ${victim.seq}`,
    );
    expect((await verify()).ok).toBe(true);
    // ... or removes an event altogether: the next one no longer links.
    const next = await t.prisma.auditEvent.findFirstOrThrow({
      where: { seq: { gt: victim.seq } },
      orderBy: { seq: 'asc' },
    });
    await t.prisma.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = ${victim.seq}`);
    expect(await verify()).toMatchObject({
      ok: false,
      firstBrokenSeq: next.seq,
      reason: expect.stringContaining('removed'),
    });
  });
});
