import { describe, expect, it } from 'vitest';
import { apiUrl, DEFAULTS, trustedProxiesSetting, webListen } from './defaults.js';

describe('shared defaults', () => {
  it('derives the API address from API_URL, else API_PORT on loopback, else the default port', () => {
    expect(apiUrl({})).toBe(`http://127.0.0.1:${DEFAULTS.API_PORT}`);
    expect(apiUrl({ API_PORT: '4100' })).toBe('http://127.0.0.1:4100');
    expect(apiUrl({ API_URL: 'http://api.internal:8080/', API_PORT: '4100' })).toBe('http://api.internal:8080');
  });

  it('treats empty values as unset, as the API config does', () => {
    expect(apiUrl({ API_URL: ' ', API_PORT: '' })).toBe(`http://127.0.0.1:${DEFAULTS.API_PORT}`);
    expect(webListen({ WEB_PORT: '', WEB_HOST: '' })).toEqual({ host: DEFAULTS.WEB_HOST, port: DEFAULTS.WEB_PORT });
    expect(trustedProxiesSetting({ TRUSTED_PROXIES: '' })).toBe(DEFAULTS.TRUSTED_PROXIES);
  });

  it('reads the web listen address and the trusted proxies', () => {
    expect(webListen({ WEB_PORT: '3100', WEB_HOST: '0.0.0.0' })).toEqual({ host: '0.0.0.0', port: 3100 });
    expect(trustedProxiesSetting({ TRUSTED_PROXIES: '10.0.0.0/8' })).toBe('10.0.0.0/8');
  });
});
