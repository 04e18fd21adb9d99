import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../../src/auth/scopes.js';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

type PrincipalName = 'anonymous' | 'clinician' | 'admin' | 'token with scope' | 'token without scope';
const PRINCIPALS: PrincipalName[] = ['anonymous', 'clinician', 'admin', 'token with scope', 'token without scope'];

interface Operation {
  name: string;
  /** The scope a token needs; null for operations open to any principal. */
  scope: Scope | null;
  admin: boolean;
  /** What an anonymous caller gets (default UNAUTHENTICATED). */
  anonymous?: 'OK';
  /** Ends the calling session, so it runs on a session of its own. */
  endsSession?: boolean;
  /** Builds the request against fresh targets; `self` is the calling user's id (or an admin's for anonymous). */
  build(t: TestApi, self: string): Promise<{ query: string; variables?: Record<string, unknown> }>;
}

async function doneStudy(t: TestApi) {
  const model = await createModelVersion(t.prisma);
  return (await createStudy(t.prisma, { modelVersionId: model.id, labels: ['subdural'] })).study;
}

async function tokenOf(t: TestApi, userId: string) {
  return t.prisma.apiToken.create({
    data: { name: 'target', userId, tokenHash: randomUUID(), prefix: 'icht_x', scopes: 'read:studies' },
  });
}

async function destinationOf(t: TestApi) {
  return t.prisma.destination.create({
    data: { name: `pacs-${randomUUID().slice(0, 8)}`, kind: 'DICOMWEB', url: 'http://127.0.0.1:9/dicom-web' },
  });
}

/** A analysed study with a result object row (an SR instance in a series of its own), ready for sendStudyResults. */
async function studyWithResults(t: TestApi) {
  const model = await createModelVersion(t.prisma);
  const { study, prediction } = await createStudy(t.prisma, { modelVersionId: model.id, labels: ['subdural'] });
  const series = await t.prisma.series.create({
    data: {
      seriesInstanceUid: `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      studyId: study.id,
      modality: 'SR',
    },
  });
  const sop = `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const instance = await t.prisma.instance.create({
    data: {
      sopInstanceUid: sop,
      seriesId: series.id,
      rows: 0,
      columns: 0,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      contentHash: randomUUID(),
      storageKey: `k/${randomUUID()}`,
      sizeBytes: 1,
    },
  });
  await t.prisma.resultObject.create({
    data: {
      studyPredictionId: prediction?.id as string,
      studyId: study.id,
      kind: 'SR',
      sopInstanceUid: sop,
      seriesInstanceUid: series.seriesInstanceUid,
      instanceId: instance.id,
    },
  });
  return study;
}

const OPERATIONS: Operation[] = [
  { name: 'me', scope: null, admin: false, anonymous: 'OK', build: async () => ({ query: '{ me { id } }' }) },
  {
    name: 'login',
    scope: null,
    admin: false,
    anonymous: 'OK',
    build: async (t) => {
      const { user, password } = await createUser(t.prisma);
      return {
        query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
        variables: { e: user.email, p: password },
      };
    },
  },
  {
    name: 'logout',
    scope: null,
    admin: false,
    anonymous: 'OK',
    endsSession: true,
    build: async () => ({ query: 'mutation { logout }' }),
  },
  {
    name: 'studies',
    scope: 'read:studies',
    admin: false,
    build: async (t) => {
      await doneStudy(t);
      return { query: '{ studies(first: 5) { edges { node { id patient { name } } } } }' };
    },
  },
  {
    name: 'study',
    scope: 'read:studies',
    admin: false,
    build: async (t) => ({
      query: 'query($id: ID!) { study(id: $id) { id patient { name } prediction { any } } }',
      variables: { id: (await doneStudy(t)).id },
    }),
  },
  {
    name: 'patients',
    scope: 'read:studies',
    admin: false,
    build: async (t) => {
      await doneStudy(t);
      return { query: '{ patients(first: 5) { edges { node { name } } } }' };
    },
  },
  {
    name: 'patient',
    scope: 'read:studies',
    admin: false,
    build: async (t) => ({
      query: 'query($id: ID!) { patient(id: $id) { name } }',
      variables: { id: (await doneStudy(t)).patientId },
    }),
  },
  {
    name: 'modelVersions',
    scope: 'read:studies',
    admin: false,
    build: async () => ({ query: '{ modelVersions { id } }' }),
  },
  {
    name: 'activeModel',
    scope: 'read:studies',
    admin: false,
    build: async () => ({ query: '{ activeModel { id } }' }),
  },
  {
    // Aggregate accuracy of a model names no patient; clinicians judging how far to trust the flag may read it.
    name: 'modelPerformance',
    scope: 'read:studies',
    admin: false,
    build: async (t) => ({
      query: 'query($id: ID!) { modelPerformance(modelVersionId: $id) { reviewed alerts { metric } } }',
      variables: { id: (await createModelVersion(t.prisma)).id },
    }),
  },
  {
    name: 'reviewStudy',
    scope: 'write:studies',
    admin: false,
    build: async (t) => ({
      query: 'mutation($id: ID!) { reviewStudy(id: $id, verdict: AGREE, comment: "ok") { id } }',
      variables: { id: (await doneStudy(t)).id },
    }),
  },
  {
    name: 'reprocessStudy',
    scope: 'write:studies',
    admin: false,
    build: async (t) => ({
      query: 'mutation($id: ID!) { reprocessStudy(id: $id) { id status } }',
      variables: { id: (await doneStudy(t)).id },
    }),
  },
  { name: 'apiTokens (own)', scope: 'admin', admin: false, build: async () => ({ query: '{ apiTokens { id } }' }) },
  {
    name: 'createApiToken (own)',
    scope: 'admin',
    admin: false,
    build: async () => ({
      query: 'mutation { createApiToken(input: { name: "mine", scopes: ["read:studies"] }) { token } }',
    }),
  },
  {
    name: 'revokeApiToken (own)',
    scope: 'admin',
    admin: false,
    build: async (t, self) => ({
      query: 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }',
      variables: { id: (await tokenOf(t, self)).id },
    }),
  },
  {
    name: 'apiTokens (another user)',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'query($u: ID) { apiTokens(userId: $u) { id } }',
      variables: { u: (await createUser(t.prisma)).user.id },
    }),
  },
  {
    name: 'createApiToken (another user)',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query:
        'mutation($u: ID) { createApiToken(input: { name: "theirs", scopes: ["read:studies"], userId: $u }) { token } }',
      variables: { u: (await createUser(t.prisma)).user.id },
    }),
  },
  {
    name: 'revokeApiToken (another user)',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }',
      variables: { id: (await tokenOf(t, (await createUser(t.prisma)).user.id)).id },
    }),
  },
  { name: 'users', scope: 'admin', admin: true, build: async () => ({ query: '{ users { id email } }' }) },
  {
    name: 'createUser',
    scope: 'admin',
    admin: true,
    build: async () => ({
      query:
        'mutation($e: String!) { createUser(input: { email: $e, role: CLINICIAN, password: "long-enough-password" }) { id } }',
      variables: { e: `new-${randomUUID().slice(0, 8)}@example.org` },
    }),
  },
  {
    name: 'updateUser',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { updateUser(id: $id, input: { role: ADMIN }) { role } }',
      variables: { id: (await createUser(t.prisma)).user.id },
    }),
  },
  {
    name: 'resetPassword',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { resetPassword(id: $id, password: "another-long-password") }',
      variables: { id: (await createUser(t.prisma)).user.id },
    }),
  },
  {
    name: 'revokeAllCredentials',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { revokeAllCredentials(userId: $id) { sessions apiTokens } }',
      variables: { id: (await createUser(t.prisma)).user.id },
    }),
  },
  {
    name: 'activateModel',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { activateModel(id: $id) { active } }',
      variables: { id: (await createModelVersion(t.prisma)).id },
    }),
  },
  {
    name: 'destinations',
    scope: 'admin',
    admin: true,
    build: async () => ({ query: '{ destinations { id hasSecret } }' }),
  },
  {
    name: 'destination',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'query($id: ID!) { destination(id: $id) { id sendCounts { failed } } }',
      variables: { id: (await destinationOf(t)).id },
    }),
  },
  {
    name: 'createDestination',
    scope: 'admin',
    admin: true,
    build: async () => ({
      query:
        'mutation($n: String!) { createDestination(input: { name: $n, kind: DIMSE, host: "127.0.0.1", port: 104, calledAet: "PACS" }) { id } }',
      variables: { n: `new-${randomUUID().slice(0, 8)}` },
    }),
  },
  {
    name: 'updateDestination',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { updateDestination(id: $id, input: { autoSend: true }) { autoSend } }',
      variables: { id: (await destinationOf(t)).id },
    }),
  },
  {
    name: 'deleteDestination',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { deleteDestination(id: $id) }',
      variables: { id: (await destinationOf(t)).id },
    }),
  },
  {
    name: 'testDestination',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($id: ID!) { testDestination(id: $id) { ok } }',
      variables: { id: (await destinationOf(t)).id },
    }),
  },
  {
    name: 'sendStudyResults',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'mutation($s: ID!, $d: ID!) { sendStudyResults(studyId: $s, destinationId: $d) { status } }',
      variables: { s: (await studyWithResults(t)).id, d: (await destinationOf(t)).id },
    }),
  },
  { name: 'failedSends', scope: 'admin', admin: true, build: async () => ({ query: '{ failedSends { id } }' }) },
  {
    name: 'Study.sends',
    scope: 'admin',
    admin: true,
    build: async (t) => ({
      query: 'query($id: ID!) { study(id: $id) { id sends { status } } }',
      variables: { id: (await doneStudy(t)).id },
    }),
  },
  {
    name: 'auditEvents',
    scope: 'read:audit',
    admin: true,
    build: async () => ({ query: '{ auditEvents(first: 5) { edges { node { action } } } }' }),
  },
  {
    name: 'verifyAuditLog',
    scope: 'read:audit',
    admin: true,
    build: async () => ({ query: '{ verifyAuditLog { ok } }' }),
  },
];

function expected(op: Operation, who: PrincipalName): string {
  switch (who) {
    case 'anonymous':
      return op.anonymous ?? 'UNAUTHENTICATED';
    case 'clinician':
      return op.admin ? 'FORBIDDEN' : 'OK';
    case 'admin':
    case 'token with scope':
      return 'OK';
    case 'token without scope':
      return op.scope === null ? 'OK' : 'FORBIDDEN';
  }
}

const ALL_SCOPES: Scope[] = ['read:studies', 'write:studies', 'write:uploads', 'read:audit', 'admin'];

describe.each(PROVIDERS)('role and scope matrix on %s', (provider) => {
  let t: TestApi;
  const credentials = {} as Record<
    'clinician' | 'admin',
    { id: string; email: string; password: string; token: string }
  >;
  let adminId = '';

  beforeAll(async () => {
    t = await startApi(provider);
    const clinician = await createUser(t.prisma, { role: 'CLINICIAN' });
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    adminId = admin.user.id;
    for (const [who, { user, password }] of [
      ['clinician', clinician],
      ['admin', admin],
    ] as const) {
      credentials[who] = { id: user.id, email: user.email, password, token: await t.login(user.email, password) };
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An ADMIN-owned token with exactly these scopes, made through the API as an admin would. */
  async function adminToken(scopes: Scope[]): Promise<string> {
    const r = await t.gql<{ createApiToken: { token: string } }>(
      'mutation($s: [String!]!) { createApiToken(input: { name: "matrix", scopes: $s }) { token } }',
      { s: scopes },
      { token: credentials.admin.token },
    );
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.createApiToken.token;
  }

  const cases = OPERATIONS.flatMap((op) => PRINCIPALS.map((who) => [op.name, who, op] as const));
  it.each(cases)('%s as %s', async (_name, who, op) => {
    let token: string | undefined;
    let self = adminId;
    if (who === 'clinician' || who === 'admin') {
      const c = credentials[who];
      token = op.endsSession ? await t.login(c.email, c.password) : c.token;
      self = c.id;
    } else if (who === 'token with scope') {
      // An admin-scoped token also holds read:studies: a token may mint only scopes it has (createApiToken asks for it).
      token = await adminToken(op.scope === 'admin' ? ['admin', 'read:studies'] : [op.scope ?? 'read:studies']);
    } else if (who === 'token without scope') {
      token = await adminToken(
        ALL_SCOPES.filter((s) => s !== op.scope && s !== 'admin' && s !== 'read:audit')
          .slice(0, 1)
          .concat(op.scope === 'write:uploads' ? [] : ['write:uploads']),
      );
    }
    const { query, variables } = await op.build(t, self);
    const r = await t.gql(query, variables, token ? { token } : {});
    const want = expected(op, who);
    if (want === 'OK') {
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    } else {
      expect(codes(r)).toEqual([want]);
      // Nothing of the refused field leaks: no data at all, or the nullable root field is null.
      for (const value of Object.values(r.data ?? {})) expect(value).toBeNull();
    }
  });
});
