/**
 * Verified ID tokens, cached for at most a minute: verification (the signature, and one
 * call to the account for its revocation time and its current role) is the largest
 * per-request cost. A logout or a role change evicts the user's tokens from the instance
 * that handled it; every other instance re-verifies within a minute, the bound the README
 * states. Bounded in size.
 */
import type { Principal } from '../domain/common.schema.ts';
import type { IdentityProvider } from '../ports/identity.ts';

const MAX_ENTRIES = 10_000;
/** Re-verify at least this often: how long a revocation or a role change takes to reach every instance. */
const MAX_AGE_MS = 60_000;

interface Entry {
  principal: Principal;
  validUntil: number;
}

const cache = new Map<string, Entry>();

export async function verifyCached(
  identity: IdentityProvider,
  token: string,
  now = Date.now(),
): Promise<Principal> {
  const hit = cache.get(token);
  if (hit && hit.validUntil > now) return hit.principal;
  if (hit) cache.delete(token);
  const { expiresAt, ...principal } = await identity.verifyIdToken(token);
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(token, { principal, validUntil: Math.min(expiresAt, now + MAX_AGE_MS) });
  return principal;
}

/** Forgets every cached token of a user. */
export function evictUser(uid: string): void {
  for (const [token, entry] of cache) if (entry.principal.uid === uid) cache.delete(token);
}
