export { API_NODE_FLAGS, apiUrl, DEFAULTS, trustedProxiesSetting, webListen } from './defaults.js';
export { clientAddress, normalizeAddress, parseTrustedProxies, type TrustedProxies } from './trusted-proxies.js';
