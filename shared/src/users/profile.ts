/** The caller's own profile, other users for admins, and role changes. */

import { pageOf } from '../application/cursor.ts';
import type { Page, Principal, Role } from '../domain/common.schema.ts';
import type { User } from '../domain/user.schema.ts';
import { logs } from '../logging/logs.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import { fromUserDoc, loadUser, USERS, userNotFound } from '../stores/user-store.ts';

/** A user as `actor` may see it: themself, or anyone for an admin; 404 otherwise. */
export async function getUser(req: { actor: Principal; id: string }, deps: Deps): Promise<User> {
  if (req.actor.uid !== req.id && req.actor.role !== 'admin') throw userNotFound();
  return loadUser(deps.store, req.id);
}

/** Changes display name and preferences; a preference set to null is removed. */
export async function updateProfile(
  req: {
    actor: Principal;
    displayName?: string;
    preferences?: Record<string, string | number | boolean | null>;
  },
  deps: Deps,
): Promise<User> {
  return deps.store.transact(async (tx) => {
    const user = await loadUser(tx, req.actor.uid);
    const preferences = { ...user.preferences, ...(req.preferences ?? {}) };
    for (const [k, v] of Object.entries(preferences)) if (v === null) delete preferences[k];
    const next: User = {
      ...user,
      displayName: req.displayName ?? user.displayName,
      preferences,
      updatedAt: deps.clock.now().toISOString(),
    };
    tx.set(USERS, user.id, next);
    return next;
  });
}

export async function listUsers(req: { limit: number; cursor?: string }, deps: Deps): Promise<Page<User>> {
  return pageOf(
    deps.store,
    {
      collection: USERS,
      where: [],
      orderBy: [
        { field: 'createdAt', direction: 'asc' },
        { field: DOC_ID, direction: 'asc' },
      ],
    },
    req.limit,
    req.cursor,
    (d) => fromUserDoc(d.data),
  );
}

/**
 * Sets a user's role: the role claim of the account, which decides what the user may do
 * (read from the account whenever one of their tokens is verified, so the tokens they hold
 * follow), then the profile, which shows it. If the profile cannot be written, the claim is
 * set back to the profile's role: a failure between the two writes leaves them agreeing. A
 * crash between them leaves the claim ahead, so a demotion that stops half-way has already
 * taken the rights away; repeating the request completes it.
 */
export async function setUserRole(req: { id: string; role: Role }, deps: Deps): Promise<User> {
  const before = await loadUser(deps.store, req.id);
  await deps.identity.setRole(req.id, req.role);
  try {
    return await deps.store.transact(async (tx) => {
      const user = await loadUser(tx, req.id);
      const next: User = { ...user, role: req.role, updatedAt: deps.clock.now().toISOString() };
      tx.set(USERS, user.id, next);
      return next;
    });
  } catch (error) {
    await deps.identity
      .setRole(req.id, before.role)
      .catch((e: unknown) =>
        logs.compensationFailed(`set the role claim of ${req.id} back to ${before.role}`, e),
      );
    throw error;
  }
}
