import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { tokenWith } from '../ingest/helpers.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const FIELDS = 'id name kind enabled autoSend url authType username hasSecret host port calledAet callingAet';
const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: DestinationInput!) { updateDestination(id: $id, input: $input) { ${FIELDS} } }`;
const TEST = 'mutation($id: ID!) { testDestination(id: $id) { ok message } }';

describe.each(PROVIDERS)('destinations on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  let productToken = '';

  beforeAll(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    admin = await t.login(a.user.email, a.password);
    // The product's own DICOMweb endpoint is a real authenticated DICOMweb server to test against.
    productToken = await tokenWith(t, admin, ['read:studies', 'write:uploads']);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps the secret write-only: sealed at rest, never returned or audited, used for the connection', async () => {
    const missing = await t.gql(
      CREATE,
      { input: { name: 'self', kind: 'DICOMWEB', url: `${t.url}/dicom-web`, authType: 'BEARER' } },
      { token: admin },
    );
    expect(codes(missing)).toEqual(['BAD_USER_INPUT']);
    expect(missing.errors?.[0]?.message).toMatch(/^secret:/);

    const created = await t.gql<{ createDestination: { id: string; hasSecret: boolean; authType: string } }>(
      CREATE,
      {
        input: { name: 'self', kind: 'DICOMWEB', url: `${t.url}/dicom-web`, authType: 'BEARER', secret: productToken },
      },
      { token: admin },
    );
    expect(created.errors).toBeUndefined();
    expect(created.text).not.toContain(productToken);
    const id = created.data?.createDestination.id as string;
    expect(created.data?.createDestination).toMatchObject({ hasSecret: true, authType: 'BEARER' });
    const row = await t.prisma.destination.findUniqueOrThrow({ where: { id } });
    expect(row.secretCipher).toBeTruthy();
    expect(row.secretCipher).not.toContain(productToken);
    expect(row.secretCipher).not.toContain(productToken.slice(5, 25));

    // Bearer with the stored token: the product's QIDO-RS answers.
    const ok = await t.gql<{ testDestination: { ok: boolean; message: string } }>(TEST, { id }, { token: admin });
    expect(ok.data?.testDestination).toMatchObject({ ok: true });

    // Basic with the same secret kept (not sent again): the token as the Basic password.
    const basic = await t.gql<{ updateDestination: { hasSecret: boolean; username: string } }>(
      UPDATE,
      { id, input: { authType: 'BASIC', username: 'orthanc' } },
      { token: admin },
    );
    expect(basic.data?.updateDestination).toMatchObject({ hasSecret: true, username: 'orthanc' });
    expect(
      (await t.gql<{ testDestination: { ok: boolean } }>(TEST, { id }, { token: admin })).data?.testDestination.ok,
    ).toBe(true);

    // A wrong secret: refused, and the test says why.
    await t.gql(UPDATE, { id, input: { secret: 'icht_wrong' } }, { token: admin });
    const refused = await t.gql<{ testDestination: { ok: boolean; message: string } }>(TEST, { id }, { token: admin });
    expect(refused.data?.testDestination.ok).toBe(false);
    expect(refused.data?.testDestination.message).toMatch(/401/);

    // No authentication: the secret is removed.
    const none = await t.gql<{ updateDestination: { hasSecret: boolean } }>(
      UPDATE,
      { id, input: { authType: 'NONE', secret: '' } },
      { token: admin },
    );
    expect(none.data?.updateDestination.hasSecret).toBe(false);
    expect((await t.prisma.destination.findUniqueOrThrow({ where: { id } })).secretCipher).toBeNull();

    const events = await t.prisma.auditEvent.findMany({ where: { resourceId: id } });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['destination.create', 'destination.update', 'destination.test']),
    );
    for (const event of events) {
      expect(event.details).not.toContain(productToken);
      expect(event.details).not.toContain('icht_wrong');
    }
  });

  it('validates each protocol, refuses duplicate names, and deletes', async () => {
    const bad = async (input: Record<string, unknown>, field: string) => {
      const r = await t.gql(CREATE, { input }, { token: admin });
      expect(codes(r), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors?.[0]?.message.startsWith(`${field}:`)).toBe(true);
    };
    await bad({ name: 'x', kind: 'DICOMWEB' }, 'url');
    await bad({ name: 'x', kind: 'DICOMWEB', url: 'ftp://pacs/dicom-web' }, 'url');
    await bad({ name: 'x', kind: 'DICOMWEB', url: 'http://user:pw@pacs/dicom-web' }, 'url');
    await bad(
      { name: 'x', kind: 'DICOMWEB', url: 'http://pacs/dicom-web', authType: 'BASIC', secret: 's' },
      'username',
    );
    await bad({ name: 'x', kind: 'DIMSE', port: 104, calledAet: 'PACS' }, 'host');
    await bad({ name: 'x', kind: 'DIMSE', host: 'pacs', port: 70000, calledAet: 'PACS' }, 'port');
    await bad({ name: 'x', kind: 'DIMSE', host: 'pacs', port: 104, calledAet: 'AE-TITLE-LONGER-THAN-16' }, 'calledAet');
    await bad({ name: 'x', kind: 'DIMSE', host: 'pacs', port: 104, calledAet: 'BACK\\SLASH' }, 'calledAet');

    const input = { name: 'pacs-1', kind: 'DIMSE', host: 'pacs.hospital.example', port: 104, calledAet: 'PACS' };
    const created = await t.gql<{ createDestination: { id: string; callingAet: string | null } }>(
      CREATE,
      { input },
      { token: admin },
    );
    expect(created.errors).toBeUndefined();
    expect(codes(await t.gql(CREATE, { input }, { token: admin }))).toEqual(['CONFLICT']);
    const id = created.data?.createDestination.id as string;
    const list = await t.gql<{ destinations: Array<{ id: string; sendCounts: { queued: number } }> }>(
      '{ destinations { id sendCounts { queued } } }',
      {},
      { token: admin },
    );
    expect(list.data?.destinations.find((d) => d.id === id)?.sendCounts.queued).toBe(0);
    const deleted = await t.gql('mutation($id: ID!) { deleteDestination(id: $id) }', { id }, { token: admin });
    expect(deleted.errors).toBeUndefined();
    const gone = await t.gql<{ destination: null }>(
      'query($id: ID!) { destination(id: $id) { id } }',
      { id },
      { token: admin },
    );
    expect(gone.data?.destination).toBeNull();
  });
});
