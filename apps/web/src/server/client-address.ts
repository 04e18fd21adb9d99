import { randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { normalizeAddress, parseTrustedProxies, type TrustedProxies, trustedProxiesSetting } from '@ich/config';

/*
 * The client address. Next fills X-Forwarded-For only when it is absent, so a client's own header would reach the API
 * unchanged and a route handler never sees the socket. Node publishes every request on the diagnostics channel
 * `http.server.request.start` before Next's listener runs; there the header is rewritten from the peer we saw: the
 * peer alone, or (when the peer is one of TRUSTED_PROXIES, e.g. a TLS terminator in front of us) the peer appended to
 * what that proxy sent. The API believes this header only because it trusts us (its own TRUSTED_PROXIES).
 * instrumentation.ts installs the subscriber when the server starts; the route handlers install it too (once per
 * process, whichever module instance comes first). A per-process nonce marks requests that went through the rewrite;
 * the proxy forwards any other request (one that arrived before the subscriber was installed) with no
 * X-Forwarded-For at all, so the API records this proxy's address: never one the client chose.
 */
export const REWRITTEN = 'x-ich-client-address-rewritten';

interface ClientAddressRewrite {
  nonce: string;
}

const STATE_KEY = Symbol.for('ich.web.clientAddressRewrite');

export function installClientAddressRewrite(): ClientAddressRewrite {
  const holder = globalThis as unknown as Record<symbol, ClientAddressRewrite | undefined>;
  const existing = holder[STATE_KEY];
  if (existing) return existing;
  const state: ClientAddressRewrite = { nonce: randomBytes(18).toString('base64url') };
  holder[STATE_KEY] = state;
  const trusted = readTrustedProxies();
  subscribe('http.server.request.start', (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    const peer = normalizeAddress(socket.remoteAddress);
    const claimed = request.headers['x-forwarded-for'];
    const chain = Array.isArray(claimed) ? claimed.join(', ') : claimed;
    if (peer === null) delete request.headers['x-forwarded-for'];
    else request.headers['x-forwarded-for'] = chain && trusted(peer) ? `${chain}, ${peer}` : peer;
    request.headers[REWRITTEN] = state.nonce;
  });
  return state;
}

/**
 * TRUSTED_PROXIES, parsed by the same rules as the API's (which refuses to start on a bad entry). Should this process
 * still see a list that does not parse, it trusts nobody: less trust, never more.
 */
function readTrustedProxies(): TrustedProxies {
  try {
    return parseTrustedProxies(trustedProxiesSetting());
  } catch {
    return () => false;
  }
}
