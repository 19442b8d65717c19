/**
 * The address a request comes from, as the platform saw it, for keying what is not keyed
 * on a signed-in user.
 *
 * X-Forwarded-For is a list the client starts: whatever it sends is kept, and each proxy
 * appends the address of whoever connected to it. Only the entries appended by proxies of
 * our own deployment can be trusted, counted from the right:
 * - Google's load balancers keep the supplied value and append `<client-ip>,<load-balancer-ip>`
 *   ("The load balancer does not verify any IP addresses that precede <client-ip>",
 *   https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header, as quoted in
 *   kubernetes/registry.k8s.io `cmd/archeio/app/clientip.go`);
 * - ESPv2, the proxy behind API Gateway, never takes the first entry "because it can be
 *   spoofed" (cloudendpoints/endpoints-tools#72);
 * - behind API Gateway and Cloud Run (where 2nd gen functions run) the client's address is
 *   the last entry, `TRUSTED_PROXY_HOPS=0`; an external Application Load Balancer in front
 *   adds its own after it, `TRUSTED_PROXY_HOPS=1`.
 * Express's `req.ip` is not used: functions-framework enables `trust proxy`, which makes it
 * the left-most entry, the one the client writes.
 */
/** What of a request the address is read from. */
export interface AddressedRequest {
  get(name: string): string | undefined;
  socket: { remoteAddress?: string | undefined };
}

/** The entry `trustedHops` from the right of X-Forwarded-For, or the peer when there is none. */
export function clientAddress(req: AddressedRequest, trustedHops: number): string {
  const forwarded = (req.get('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return forwarded.at(-1 - trustedHops) ?? req.socket.remoteAddress ?? 'unknown';
}
