import { randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';

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
  const trusted = trustedProxies(process.env.TRUSTED_PROXIES ?? '127.0.0.1,::1');
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

const NAMED: Record<string, Array<[string, number, 'ipv4' | 'ipv6']>> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  linklocal: [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  uniquelocal: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/**
 * TRUSTED_PROXIES, read the way the API reads it (IPs, CIDR ranges, loopback/linklocal/uniquelocal, or none). The API
 * validates the same variable at start-up; here an entry that does not parse is skipped, which trusts less, not more.
 */
function trustedProxies(list: string): (address: string) => boolean {
  const blocks = new BlockList();
  for (const raw of list.split(',')) {
    const entry = raw.trim().toLowerCase();
    const named = NAMED[entry];
    if (named) {
      for (const [net, prefix, type] of named) blocks.addSubnet(net, prefix, type);
      continue;
    }
    const [address = '', prefixText] = entry.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) continue;
    blocks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return (address) => blocks.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.2`) as plain IPv4, so one machine has one address; anything else invalid → null. */
function normalizeAddress(value: string | undefined): string | null {
  if (!value) return null;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(value);
  const text = mapped?.[1] ?? value;
  return isIP(text) === 0 ? null : text;
}
