/**
 * Where a webhook may point. A receiver URL is http or https, carries no credentials, and
 * every address its host resolves to is public: no private, loopback, link-local, CGNAT,
 * unspecified, metadata, NAT64, 6to4 or Teredo address (nor an IPv4-mapped, -translated or
 * -compatible form of a private one), so a webhook cannot be used to reach the service's own
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
  ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
  ['ff00::', 8], // multicast
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  // Prefixes that embed an IPv4 address a gateway then reaches: any IPv4 address at all,
  // so they are refused whole rather than trusted to embed a public one.
  ['64:ff9b::', 96], // NAT64, well-known prefix
  ['64:ff9b:1::', 48], // NAT64, local-use prefix
  ['2002::', 16], // 6to4
  ['2001::', 32], // Teredo
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The 16 bytes of an IPv6 address `isIP` accepted, whatever its text form (`::`, a dotted tail, a zone). */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const quad = text.match(/^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (quad) {
    const [a, b, c, d] = quad.slice(2).map(Number) as [number, number, number, number];
    text = `${quad[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 255];
  });
}

/**
 * The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one to
 * the IPv4 stack: IPv4-mapped (`::ffff:0:0/96`), IPv4-translated (`::ffff:0:0:0/96`) or
 * IPv4-compatible (`::/96` but `::` and `::1`), in any text form: the URL parser rewrites
 * `[::127.0.0.1]` as `[::7f00:1]`.
 */
function embeddedIpv4(bytes: readonly number[]): string | null {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const ffff = (at: number) => bytes[at] === 0xff && bytes[at + 1] === 0xff;
  const mapped = zero(0, 10) && ffff(10);
  const translated = zero(0, 8) && ffff(8) && zero(10, 12);
  const compatible = zero(0, 12) && !(zero(12, 15) && (bytes[15] ?? 0) <= 1);
  return mapped || translated || compatible ? bytes.slice(12).join('.') : null;
}

/** `bytes` as eight hex groups, a form BlockList reads the same whatever the original text. */
const ipv6Text = (bytes: readonly number[]) =>
  Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');

/** Why `address` may not receive webhooks, or null when it may. */
export function blockedAddressReason(address: string, allowLoopback: boolean): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  let ip = address;
  let type: 'ipv4' | 'ipv6' = 'ipv4';
  if (family === 6) {
    const bytes = ipv6Bytes(address);
    const v4 = embeddedIpv4(bytes);
    [ip, type] = v4 ? [v4, 'ipv4'] : [ipv6Text(bytes), 'ipv6'];
  }
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
