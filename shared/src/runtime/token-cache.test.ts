/**
 * The verified-token cache of one instance: a logout or a role change made on another
 * instance (which can only evict its own cache) reaches this one within the bound the
 * README states, 60 seconds.
 */
import { describe, expect, it } from 'vitest';
import { MemoryIdentityProvider } from '../adapters/memory/memory-identity-provider.ts';
import { isAppError } from '../errors/app-error.ts';
import { verifyCached } from './token-cache.ts';

/** The README's bound, 60 s, and a second more. */
const PAST_THE_BOUND_MS = 61_000;

async function signedIn(identity: MemoryIdentityProvider, role: 'member' | 'admin') {
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.com`;
  const { uid } = await identity.createAccount({ email, password: 'password-123', displayName: 'x', role });
  return { uid, token: (await identity.signIn(email, 'password-123')).idToken };
}

describe('verified tokens on an instance that did not see the change', () => {
  it('a logout elsewhere ends the session here within the bound', async () => {
    const identity = new MemoryIdentityProvider();
    const { uid, token } = await signedIn(identity, 'member');
    const t0 = Date.now();
    expect((await verifyCached(identity, token, t0)).uid).toBe(uid);
    await identity.revokeSessions(uid); // on another instance: this cache is not evicted
    const later = verifyCached(identity, token, t0 + PAST_THE_BOUND_MS);
    await expect(later).rejects.toSatisfy((e) => isAppError(e) && e.code === 'AUTH.UNAUTHENTICATED');
  });

  it('a demotion elsewhere takes the admin role from the same token here within the bound', async () => {
    const identity = new MemoryIdentityProvider();
    const { uid, token } = await signedIn(identity, 'admin');
    const t0 = Date.now();
    expect((await verifyCached(identity, token, t0)).role).toBe('admin');
    await identity.setRole(uid, 'member'); // on another instance
    expect((await verifyCached(identity, token, t0 + PAST_THE_BOUND_MS)).role).toBe('member');
  });
});
