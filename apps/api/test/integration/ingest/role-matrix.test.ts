import { synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../../src/auth/scopes.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { stowBody, tokenWith, upload } from './helpers.js';

type Who = 'anonymous' | 'clinician' | 'admin' | 'token with scope' | 'token without scope';
const WHO: Who[] = ['anonymous', 'clinician', 'admin', 'token with scope', 'token without scope'];

interface Route {
  name: string;
  scope: Scope;
  /** Sends the request with these headers; returns the HTTP status. */
  send(t: TestApi, headers: Record<string, string>): Promise<number>;
}

let seq = 0;
const fresh = (size = 32) => {
  seq += 1;
  return synthStudy({ seed: `matrix-${Date.now()}-${seq}`, slices: 1, size, bleed: 'none' });
};

describe.each(PROVIDERS)('upload and DICOMweb role and scope matrix on %s', (provider) => {
  let t: TestApi;
  const sessions = {} as Record<'clinician' | 'admin', string>;
  const read = fresh();

  const ROUTES: Route[] = [
    {
      name: 'POST /api/uploads',
      scope: 'write:uploads',
      send: async (api, headers) => {
        const token = headers['authorization']?.replace(/^Bearer /, '');
        return (
          await upload(api, [{ name: 'a.dcm', data: fresh().files[0]?.bytes as Uint8Array }], token ? { token } : {})
        ).status;
      },
    },
    {
      name: 'POST /dicom-web/studies (STOW-RS)',
      scope: 'write:uploads',
      send: async (api, headers) => {
        const { body, contentType } = stowBody([fresh().files[0]?.bytes as Uint8Array]);
        return (
          await fetch(`${api.url}/dicom-web/studies`, {
            method: 'POST',
            body,
            headers: { ...headers, 'content-type': contentType },
          })
        ).status;
      },
    },
    {
      name: 'GET /dicom-web/studies (QIDO-RS)',
      scope: 'read:studies',
      send: async (api, headers) => (await fetch(`${api.url}/dicom-web/studies`, { headers })).status,
    },
    {
      name: 'GET …/metadata (WADO-RS)',
      scope: 'read:studies',
      send: async (api, headers) =>
        (await fetch(`${api.url}/dicom-web/studies/${read.studyInstanceUid}/metadata`, { headers })).status,
    },
    {
      name: 'GET …/frames/1 (WADO-RS)',
      scope: 'read:studies',
      send: async (api, headers) =>
        (
          await fetch(
            `${api.url}/dicom-web/studies/${read.studyInstanceUid}/series/${read.seriesInstanceUid}/instances/${read.files[0]?.sopInstanceUid}/frames/1`,
            { headers },
          )
        ).status,
    },
  ];

  beforeAll(async () => {
    t = await startApi(provider);
    for (const role of ['clinician', 'admin'] as const) {
      const { user, password } = await createUser(t.prisma, { role: role === 'admin' ? 'ADMIN' : 'CLINICIAN' });
      sessions[role] = await t.login(user.email, password);
    }
    expect(
      (await upload(t, [{ name: 'r.dcm', data: read.files[0]?.bytes as Uint8Array }], { token: sessions.admin }))
        .status,
    ).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const cases = ROUTES.flatMap((r) => WHO.map((who) => [r.name, who, r] as const));
  it.each(cases)('%s as %s', async (_name, who, route) => {
    let headers: Record<string, string> = {};
    if (who === 'clinician' || who === 'admin') headers = { authorization: `Bearer ${sessions[who]}` };
    if (who === 'token with scope')
      headers = { authorization: `Bearer ${await tokenWith(t, sessions.clinician, [route.scope])}` };
    if (who === 'token without scope') {
      const other: Scope = route.scope === 'read:studies' ? 'write:uploads' : 'read:studies';
      headers = { authorization: `Bearer ${await tokenWith(t, sessions.clinician, [other, 'write:studies'])}` };
    }
    const status = await route.send(t, headers);
    const want = who === 'anonymous' ? 401 : who === 'token without scope' ? 403 : 200;
    expect(status).toBe(want);
  });
});
