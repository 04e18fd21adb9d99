import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, parseTrustedProxies } from './trusted-proxies.js';

describe('parseTrustedProxies', () => {
  it('accepts addresses, CIDR ranges and the named ranges', () => {
    const trusted = parseTrustedProxies('127.0.0.1, ::1, 10.1.0.0/16, uniquelocal');
    expect(trusted('127.0.0.1')).toBe(true);
    expect(trusted('127.0.0.2')).toBe(false);
    expect(trusted('::1')).toBe(true);
    expect(trusted('::ffff:127.0.0.1')).toBe(true);
    expect(trusted('10.1.200.3')).toBe(true);
    expect(trusted('192.168.4.4')).toBe(true);
    expect(trusted('8.8.8.8')).toBe(false);
    expect(trusted('<script>')).toBe(false);
    expect(parseTrustedProxies('loopback')('127.9.9.9')).toBe(true);
    expect(parseTrustedProxies('none')('127.0.0.1')).toBe(false);
  });

  it('names the first bad entry', () => {
    expect(() => parseTrustedProxies('127.0.0.1, proxy.example')).toThrow(/"proxy.example"/);
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/"10.0.0.0\/33"/);
    expect(() => parseTrustedProxies('10.0.0.0/')).toThrow();
  });
});

describe('clientAddress', () => {
  const trusted = parseTrustedProxies('127.0.0.1');

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress('127.0.0.2', '203.0.113.9', trusted)).toBe('127.0.0.2');
    expect(clientAddress('::ffff:127.0.0.3', '203.0.113.9', trusted)).toBe('127.0.0.3');
  });

  it('believes the entry a trusted proxy appended, and only that hop', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9', trusted)).toBe('203.0.113.9');
    // The client wrote "198.51.100.1"; the proxy appended the peer it saw.
    expect(clientAddress('127.0.0.1', '198.51.100.1, 127.0.0.2', trusted)).toBe('127.0.0.2');
    expect(clientAddress('127.0.0.1', ['198.51.100.1', '127.0.0.1, 10.0.0.7'], trusted)).toBe('10.0.0.7');
  });

  it('returns only valid IP addresses', () => {
    expect(clientAddress('127.0.0.1', '<script>alert(1)</script>', trusted)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'x'.repeat(8000), trusted)).toBe('127.0.0.1');
    expect(clientAddress(undefined, '203.0.113.9', trusted)).toBeNull();
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});
