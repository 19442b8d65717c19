/**
 * Register: create the account (role `member`) in the identity provider, save the profile
 * with a `user.registered` event, and sign in. If the profile cannot be saved, the account
 * is deleted again so the email can register later.
 */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { User } from '../domain/user.schema.ts';
import { logs } from '../logging/logs.ts';
import type { Deps } from '../ports/deps.ts';
import type { Session } from '../ports/identity.ts';
import { USERS } from '../stores/user-store.ts';

export interface RegisterRequest {
  origin: Omit<EventOrigin, 'actorId'>;
  email: string;
  password: string;
  displayName: string;
}

export async function registerUser(
  req: RegisterRequest,
  deps: Deps,
): Promise<{ user: User; session: Session }> {
  const email = req.email.toLowerCase();
  const { uid } = await deps.identity.createAccount({
    email,
    password: req.password,
    displayName: req.displayName,
    role: 'member',
  });
  const now = deps.clock.now().toISOString();
  const user: User = {
    id: uid,
    email,
    displayName: req.displayName,
    role: 'member',
    preferences: {},
    createdAt: now,
    updatedAt: now,
  };
  const event = newEvent(
    deps,
    'user.registered',
    { ...req.origin, actorId: uid },
    {
      userId: uid,
      email,
      displayName: req.displayName,
    },
  );
  try {
    await inUnitOfWork(deps, async (tx, emit) => {
      tx.create(USERS, uid, user);
      emit(event);
    });
  } catch (error) {
    await deps.identity
      .deleteAccount(uid)
      .catch((e: unknown) => logs.compensationFailed(`delete account ${uid}`, e));
    throw error;
  }
  const session = await deps.identity.signIn(email, req.password);
  return { user, session };
}
