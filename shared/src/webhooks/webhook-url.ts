/**
 * Where a webhook may point. A receiver URL is http or https, carries no credentials, and
 * every address its host resolves to is public: no private, loopback, link-local, CGNAT,
 * unspecified or metadata address, so a webhook cannot be used to reach the service's own
 * network (SSRF). The check runs at registration and again at every delivery, where the
 * connection is pinned to the addresses just checked (DNS can change in between).
 * `allowLoopback` (local stacks only) admits 127/8 and ::1 so tests can receive.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Resolves a host name to every address it has. */
export type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;

/** The system resolver (getaddrinfo), every address, in its own order. */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Names that reach the cloud's metadata server without looking like an address. */
const BLOCKED_HOSTS = new Set(['metadata.google.internal', 'metadata.google.internal.', 'metadata']);

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 itself included
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the metadata server's 169.254.169.254 included
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast included
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64: can embed any IPv4 address
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The IPv4 address an IPv4-mapped or -compatible IPv6 address carries, if it is one. */
function embeddedIpv4(address: string): string | null {
  const m = address.toLowerCase().match(/^::(?:ffff:)?((?:\d{1,3}\.){3}\d{1,3})$/);
  if (m) return m[1]!;
  const hex = address.toLowerCase().match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (!hex) return null;
  const hi = Number.parseInt(hex[1]!, 16);
  const lo = Number.parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `address` may not receive webhooks, or null when it may. */
export function blockedAddressReason(address: string, allowLoopback: boolean): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const v4 = family === 6 ? embeddedIpv4(address) : address;
  const [ip, type] = v4 ? [v4, 'ipv4' as const] : [address, 'ipv6' as const];
  if (allowLoopback && loopback.check(ip, type)) return null;
  return blocked.check(ip, type) ? `${address} is a private, loopback, link-local or reserved address` : null;
}

export type UrlCheck =
  | { ok: true; url: URL; addresses: { address: string; family: 4 | 6 }[] }
  | { ok: false; reason: string };

export interface UrlCheckOptions {
  allowLoopback: boolean;
  resolve: Resolver;
}

/** Checks `raw` as a webhook receiver; on success, the addresses it may be reached at. */
export async function checkWebhookUrl(raw: string, options: UrlCheckOptions): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'must be http or https' };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'must not contain credentials' };
  // WHATWG URL parsing already normalised decimal, octal and hex IPv4 forms to dotted quads.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname.toLowerCase();
  if (host === '' || BLOCKED_HOSTS.has(host)) return { ok: false, reason: 'must not name a metadata host' };
  let addresses: { address: string; family: 4 | 6 }[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await options.resolve(host);
    } catch {
      return { ok: false, reason: 'its host does not resolve' };
    }
    if (addresses.length === 0) return { ok: false, reason: 'its host does not resolve' };
  }
  for (const { address } of addresses) {
    const reason = blockedAddressReason(address, options.allowLoopback);
    if (reason) return { ok: false, reason: `must not reach ${reason}` };
  }
  return { ok: true, url, addresses };
}
