import { describe, expect, it } from 'vitest';
import { loginHref, safeReturnPath } from './return-to';

describe('return after login', () => {
  it('keeps same-origin paths with their query', () => {
    expect(safeReturnPath('/studies/abc?x=1')).toBe('/studies/abc?x=1');
    expect(loginHref({ pathname: '/studies/abc', search: '?x=1' })).toBe('/login?next=%2Fstudies%2Fabc%3Fx%3D1');
    expect(loginHref({ pathname: '/', search: '' })).toBe('/login');
  });

  it('refuses anything that could leave the origin or loop', () => {
    for (const bad of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '', null])
      expect(safeReturnPath(bad)).toBe('/');
    expect(safeReturnPath('/login?next=/x')).toBe('/');
  });
});
