/** Log in with email and password; the same 401 whichever of the two is wrong. */
import type { User } from '../domain/user.schema.ts';
import type { Deps } from '../ports/deps.ts';
import type { Session } from '../ports/identity.ts';
import { fromUserDoc, USERS } from '../stores/user-store.ts';

export async function loginUser(
  req: { email: string; password: string },
  deps: Deps,
): Promise<{ user: User; session: Session }> {
  const session = await deps.identity.signIn(req.email.toLowerCase(), req.password);
  const doc = await deps.store.get(USERS, session.uid);
  if (doc) return { user: fromUserDoc(doc.data), session };
  // An account made outside the API (console, another app): give it a profile now.
  const principal = await deps.identity.verifyIdToken(session.idToken);
  const now = deps.clock.now().toISOString();
  const email = principal.email ?? req.email.toLowerCase();
  const user: User = {
    id: session.uid,
    email,
    displayName: email.split('@')[0] ?? email,
    role: principal.role,
    preferences: {},
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.transact(async (tx) => {
    if (!(await tx.get(USERS, user.id))) tx.create(USERS, user.id, user);
  });
  return { user, session };
}
