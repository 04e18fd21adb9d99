import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell us who the client is. A request's X-Forwarded-For is believed only hop by hop: starting at the
 * socket peer, each address that is a trusted proxy hands over to the entry it appended; the first address that is
 * not a trusted proxy is the client. A client that writes its own X-Forwarded-For therefore changes nothing unless it
 * *is* a trusted proxy. Entries are IP addresses, CIDR ranges, or the names `loopback`, `linklocal`, `uniquelocal`
 * (the same words Express and proxy-addr use).
 */
export type TrustedProxies = (address: string) => boolean;

const NAMED_RANGES: Record<string, Array<[string, number, 'ipv4' | 'ipv6']>> = {
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
 * Parses a TRUSTED_PROXIES list ("127.0.0.1, ::1, 10.0.0.0/8"). Throws an Error naming the first bad entry, so the
 * configuration check can report it. `none` (or an empty list) trusts nobody: the socket peer is always the client.
 */
export function parseTrustedProxies(list: string): TrustedProxies {
  const blocks = new BlockList();
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    if (entry === '' || entry.toLowerCase() === 'none') continue;
    const named = NAMED_RANGES[entry.toLowerCase()];
    if (named) {
      for (const [net, prefix, type] of named) blocks.addSubnet(net, prefix, type);
      continue;
    }
    const [address = '', prefixText, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '')
      throw new Error(`"${entry}" is not an IP address, a CIDR range, or one of loopback, linklocal, uniquelocal`);
    blocks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return (address) => {
    const ip = normalizeAddress(address);
    if (ip === null) return false;
    return blocks.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * A valid IP address in canonical text, or null. IPv4-mapped IPv6 (`::ffff:127.0.0.2`, what a dual-stack socket
 * reports) becomes plain IPv4 so one machine has one address in the throttle and the audit log; an IPv6 zone
 * (`fe80::1%eth0`) is dropped.
 */
export function normalizeAddress(value: string | undefined | null): string | null {
  if (!value) return null;
  let text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  if (mapped?.[1]) text = mapped[1];
  const family = isIP(text);
  if (family === 0) return null;
  return family === 6 ? text.toLowerCase() : text;
}

/**
 * The client address of a request: the socket peer, or, while the hop we are looking at is a trusted proxy, the
 * address that proxy appended to X-Forwarded-For. A forwarded entry that is not a valid IP ends the walk at the proxy
 * that sent it (the proxy is the last address we can vouch for), so only valid IP addresses are ever returned.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxies,
): string | null {
  let client = normalizeAddress(peer);
  if (client === null) return null;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const hops = header
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  while (trusted(client) && hops.length > 0) {
    const next = normalizeAddress(hops.pop());
    if (next === null) break;
    client = next;
  }
  return client;
}
