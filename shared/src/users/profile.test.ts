/**
 * A role change writes two places, the identity provider's role claim (what decides the
 * caller's rights) and the profile (what the API shows): a failure of either write leaves
 * the two agreeing on the role the user had.
 */
import { describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors/app-error.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { setUserRole } from './profile.ts';

/** A member with an account, a profile and an ID token. */
async function member(deps: MemoryDeps) {
  const email = 'm@example.com';
  const { uid } = await deps.identity.createAccount({
    email,
    password: 'password-123',
    displayName: 'M',
    role: 'member',
  });
  await seedUser(deps, uid);
  return { uid, token: (await deps.identity.signIn(email, 'password-123')).idToken };
}

/** The role the claim gives and the role the profile shows. */
async function roles(deps: MemoryDeps, who: { uid: string; token: string }) {
  const claim = (await deps.identity.verifyIdToken(who.token)).role;
  const profile = deps.store.dump('users').find((d) => d.id === who.uid)?.data.role;
  return { claim, profile };
}

describe('setUserRole', () => {
  it('changes the claim and the profile', async () => {
    const deps = memoryDeps();
    const m = await member(deps);
    expect((await setUserRole({ id: m.uid, role: 'admin' }, deps)).role).toBe('admin');
    expect(await roles(deps, m)).toEqual({ claim: 'admin', profile: 'admin' });
  });

  it('when the profile cannot be written after the claim was, the claim is set back', async () => {
    const deps = memoryDeps();
    const m = await member(deps);
    deps.store.transact = async () => {
      throw new AppError('DEPENDENCY.UNAVAILABLE', 'The database is unavailable.');
    };
    await expect(setUserRole({ id: m.uid, role: 'admin' }, deps)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'DEPENDENCY.UNAVAILABLE',
    );
    expect(await roles(deps, m)).toEqual({ claim: 'member', profile: 'member' });
  });

  it('when the claim cannot be written, the profile is not changed', async () => {
    const deps = memoryDeps();
    const m = await member(deps);
    deps.identity.down = true;
    await expect(setUserRole({ id: m.uid, role: 'admin' }, deps)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'DEPENDENCY.UNAVAILABLE',
    );
    deps.identity.down = false;
    expect(await roles(deps, m)).toEqual({ claim: 'member', profile: 'member' });
  });
});
