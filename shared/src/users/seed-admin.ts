/**
 * Seeds an admin account (the local stack's admin@example.com): creates it if absent,
 * makes sure its role claim and profile say admin. Safe to run on every start.
 */
import type { User } from '../domain/user.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { USERS } from '../stores/user-store.ts';

export async function seedAdmin(
  input: { email: string; password: string; displayName: string },
  deps: Deps,
): Promise<void> {
  const email = input.email.toLowerCase();
  let uid = (await deps.identity.findByEmail(email))?.uid;
  if (!uid) {
    try {
      uid = (
        await deps.identity.createAccount({
          email,
          password: input.password,
          displayName: input.displayName,
          role: 'admin',
        })
      ).uid;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'USER.EMAIL_EXISTS')) throw error;
      uid = (await deps.identity.findByEmail(email))?.uid;
      if (!uid) throw error;
    }
  }
  await deps.identity.setRole(uid, 'admin');
  const id = uid;
  await deps.store.transact(async (tx) => {
    const existing = await tx.get<User>(USERS, id);
    const now = deps.clock.now().toISOString();
    const user: User = existing
      ? { ...existing.data, role: 'admin' }
      : {
          id,
          email,
          displayName: input.displayName,
          role: 'admin',
          preferences: {},
          createdAt: now,
          updatedAt: now,
        };
    tx.set(USERS, id, user);
  });
}
