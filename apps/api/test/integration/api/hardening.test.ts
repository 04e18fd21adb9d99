import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, type GraphQLResult, PROVIDERS, startApi, type TestApi, WEB_ORIGIN } from './harness.js';

const HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;';

function noStackTraces(r: GraphQLResult) {
  expect(r.text).not.toMatch(/stacktrace|at .+\.(ts|js):\d+/);
}

describe.each(PROVIDERS)('hostile input and hardening on %s', (provider) => {
  let t: TestApi;
  let prod: TestApi;
  let token = '';
  let studyId = '';

  beforeAll(async () => {
    t = await startApi(provider);
    prod = await startApi(provider, { nodeEnv: 'production' });
    const { user, password } = await createUser(t.prisma);
    token = await t.login(user.email, password);
    const model = await createModelVersion(t.prisma);
    studyId = (
      await createStudy(t.prisma, {
        modelVersionId: model.id,
        patientName: HOSTILE_NAME,
        description: '"; DROP TABLE "Study"; --',
      })
    ).study.id;
  });
  afterAll(async () => {
    await t?.close();
    await prod?.close();
  });

  it('returns HTML in patient names verbatim, as JSON data', async () => {
    const r = await t.gql<{ study: { description: string; patient: { name: string } } }>(
      'query($id: ID!) { study(id: $id) { description patient { name } } }',
      { id: studyId },
      { token },
    );
    expect(r.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(r.data?.study.patient.name).toBe(HOSTILE_NAME);
    expect(r.data?.study.description).toBe('"; DROP TABLE "Study"; --');
    const found = await t.gql<{ studies: { edges: Array<{ node: { id: string } }> } }>(
      'query($s: String) { studies(filter: { search: $s }) { edges { node { id } } } }',
      { s: '<script>' },
      { token },
    );
    expect(found.data?.studies.edges.map((e) => e.node.id)).toEqual([studyId]);
  });

  it('refuses an oversized request body with PAYLOAD_TOO_LARGE', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ me { id } }#${'x'.repeat(200_000)}` }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request is too large.' },
    });
  });

  it('refuses a query with too many tokens before validating it', async () => {
    const r = await t.gql(`{ me { ${'id '.repeat(6000)} } }`, {}, { token });
    expect(codes(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.data).toBeUndefined();
    noStackTraces(r);
  });

  it('refuses deep and costly queries with QUERY_TOO_COMPLEX and runs nothing', async () => {
    let nested = 'id';
    for (let i = 0; i < 6; i += 1) nested = `patient { studies { ${nested} } }`;
    const deep = await t.gql(`query($id: ID!) { study(id: $id) { ${nested} } }`, { id: studyId }, { token });
    expect(codes(deep)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(deep.status).toBe(400);
    expect(deep.data).toBeUndefined();
    const aliases = Array.from(
      { length: 30 },
      (_, i) => `a${i}: studies(first: 100) { edges { node { id patient { name } prediction { any } } } }`,
    ).join(' ');
    const costly = await t.gql(`{ ${aliases} }`, {}, { token });
    expect(codes(costly)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(costly.errors?.[0]?.message).toMatch(/cost/);
    const before = await t.prisma.auditEvent.count({ where: { action: 'study.list' } });
    await t.api.audit.flush();
    expect(await t.prisma.auditEvent.count({ where: { action: 'study.list' } })).toBe(before);
  });

  it('requires a CSRF-safe request: no simple GET or text/plain POST', async () => {
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(400);
    const preflighted = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(200);
    const plain = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie: `ich_session=${token}` },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });
    expect(plain.status).toBe(400);
    expect((await t.gql<{ me: { id: string } | null }>('{ me { id } }', {}, { token })).data?.me).not.toBeNull();
  });

  it('allows CORS for the web origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const ok = await preflight(WEB_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const r = await t.gql('{ me { id } }', {}, { token, headers: { origin: 'https://evil.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('turns introspection, the landing page and field suggestions off in production', async () => {
    const dev = await t.gql<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }');
    expect(dev.data?.__schema.queryType.name).toBe('Query');
    const off = await prod.gql('{ __schema { queryType { name } } }');
    expect(codes(off)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(off.data).toBeUndefined();
    const typo = await prod.gql('{ studis { totalCount } }');
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(typo.text).not.toMatch(/Did you mean/);
    const landing = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await landing.text()).not.toMatch(/<html/i);
  });

  it('hides unexpected failures behind INTERNAL with a generic message', async () => {
    // A broken database (a table gone) is an unexpected failure: no SQL, table names or stack may reach the client.
    await t.prisma.$executeRawUnsafe('ALTER TABLE "Review" RENAME TO "ReviewGone"');
    try {
      const r = await t.gql(
        'query($id: ID!) { study(id: $id) { id reviews { verdict } } }',
        { id: studyId },
        { token },
      );
      expect(codes(r)).toEqual(['INTERNAL']);
      expect(r.errors?.[0]?.message).toBe('Unexpected internal error.');
      const shown = JSON.stringify((r.errors ?? []).map((e) => ({ message: e.message, extensions: e.extensions })));
      expect(shown).not.toMatch(/Review|SELECT|prisma|sqlite|postgres|table/i);
      noStackTraces(r);
    } finally {
      await t.prisma.$executeRawUnsafe('ALTER TABLE "ReviewGone" RENAME TO "Review"');
    }
  });

  it('gives malformed ids, dates and arguments coded errors', async () => {
    expect(codes(await t.gql('query($id: ID!) { study(id: $id) { id } }', { id: 'x'.repeat(500) }, { token }))).toEqual(
      ['BAD_USER_INPUT'],
    );
    expect(
      codes(
        await t.gql(
          'query($f: StudyFilter) { studies(filter: $f) { totalCount } }',
          { f: { from: '2026-01-01' } },
          { token },
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await t.gql(
          'query($f: StudyFilter) { studies(filter: $f) { totalCount } }',
          { f: { search: 'x'.repeat(1000) } },
          { token },
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql('{ studies(first: -1) { totalCount } }', {}, { token }))).toEqual(['BAD_USER_INPUT']);
    const body = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(body.status).toBe(400);
    expect(((await body.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
  });
});
