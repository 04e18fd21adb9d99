import { describe, expect, it } from 'vitest';
import { ANONYMOUS, authorize, type Principal } from './principal.js';
import { formatScopes, parseScopes, validateRequestedScopes } from './scopes.js';
import { classifySecret, displayPrefix, hashSecret, newSecret } from './secrets.js';
import { presentedSecret } from './session-cookie.js';

const clinician: Principal = { kind: 'session', userId: 'u1', email: 'c@x', role: 'CLINICIAN', sessionId: 's1' };
const admin: Principal = { kind: 'session', userId: 'u2', email: 'a@x', role: 'ADMIN', sessionId: 's2' };
const readToken: Principal = {
  kind: 'apiToken',
  userId: 'u2',
  email: 'a@x',
  role: 'ADMIN',
  tokenId: 't1',
  scopes: parseScopes('read:studies'),
  expiresAt: null,
};

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('authorize', () => {
  it('needs a principal, the role, and for tokens the scope', () => {
    expect(code(() => authorize(ANONYMOUS, { scope: 'read:studies' }))).toBe('UNAUTHENTICATED');
    expect(code(() => authorize(clinician, { scope: 'read:studies' }))).toBe('OK');
    expect(code(() => authorize(clinician, { scope: 'admin', admin: true }))).toBe('FORBIDDEN');
    expect(code(() => authorize(admin, { scope: 'admin', admin: true }))).toBe('OK');
    // An admin's token is limited by its scopes, whatever its owner may do.
    expect(code(() => authorize(readToken, { scope: 'read:studies' }))).toBe('OK');
    expect(code(() => authorize(readToken, { scope: 'admin', admin: true }))).toBe('FORBIDDEN');
    expect(code(() => authorize(readToken, { scope: 'write:studies' }))).toBe('FORBIDDEN');
  });
});

describe('scopes', () => {
  it('round-trips the stored form and drops unknown words', () => {
    expect([...parseScopes('read:studies  bogus write:uploads')].sort()).toEqual(['read:studies', 'write:uploads']);
    expect(formatScopes(['write:uploads', 'read:studies', 'read:studies'])).toBe('read:studies write:uploads');
  });

  it('refuses unknown scopes and admin scopes for clinicians', () => {
    expect(validateRequestedScopes(['write:studies', 'read:studies'], 'CLINICIAN')).toEqual([
      'read:studies',
      'write:studies',
    ]);
    expect(code(() => validateRequestedScopes(['read:everything'], 'ADMIN'))).toBe('BAD_USER_INPUT');
    expect(code(() => validateRequestedScopes([], 'ADMIN'))).toBe('BAD_USER_INPUT');
    expect(code(() => validateRequestedScopes(['admin'], 'CLINICIAN'))).toBe('FORBIDDEN');
    expect(code(() => validateRequestedScopes(['read:audit'], 'CLINICIAN'))).toBe('FORBIDDEN');
  });
});

describe('secrets', () => {
  it('makes distinct, classifiable secrets and stores only a hash', () => {
    const s = newSecret('session');
    const t = newSecret('apiToken');
    expect(classifySecret(s)).toBe('session');
    expect(classifySecret(t)).toBe('apiToken');
    expect(classifySecret('ichs_short')).toBeNull();
    expect(classifySecret(`${s}x`)).toBeNull();
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(s)).not.toContain(s.slice(5));
    expect(displayPrefix(t)).toHaveLength(11);
    expect(newSecret('session')).not.toBe(s);
  });

  it('takes the Bearer header over the cookie', () => {
    expect(presentedSecret({ authorization: 'Bearer abc', cookie: 'ich_session=def' })).toBe('abc');
    expect(presentedSecret({ cookie: 'other=1; ich_session=def' })).toBe('def');
    expect(presentedSecret({ authorization: 'Basic xyz', cookie: 'ich_session=def' })).toBe('Basic xyz');
    expect(presentedSecret({})).toBeNull();
  });
});
