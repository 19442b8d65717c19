/**
 * Verified ID tokens, cached until they expire: verification (signature and revocation
 * check) is the largest per-request cost. Bounded in size; logout evicts the caller's
 * tokens from this instance.
 */
import type { Principal } from '../domain/common.schema.ts';
import type { IdentityProvider } from '../ports/identity.ts';

const MAX_ENTRIES = 10_000;
/** Re-verify at least this often, so revocations reach other instances quickly. */
const MAX_AGE_MS = 5 * 60_000;

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
