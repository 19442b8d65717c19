/**
 * Log in with email and password; the same 401 whichever of the two is wrong. Guessing is
 * limited per account, across instances: each attempt takes a token of the account's
 * shared bucket (`LOGIN_ATTEMPTS_PER_ACCOUNT_PER_HOUR`), whether the account exists or
 * not, and a right password gives its token back. Once the bucket is empty every attempt is
 * a 429, the right password too, until a token comes back.
 */
import { SharedRateLimiter } from '../application/token-bucket.ts';
import { config } from '../config/config.ts';
import type { User } from '../domain/user.schema.ts';
import { rateLimited } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import type { Session } from '../ports/identity.ts';
import { fromUserDoc, USERS } from '../stores/user-store.ts';

const HOUR_MS = 3_600_000;

export async function loginUser(
  req: { email: string; password: string },
  deps: Deps,
): Promise<{ user: User; session: Session }> {
  const account = req.email.toLowerCase();
  const attempts = new SharedRateLimiter(deps.store, 'login', {
    capacity: config().loginAttemptsPerAccountPerHour,
    windowMs: HOUR_MS,
  });
  const wait = await attempts.take(account, deps.clock.now());
  if (wait > 0) throw rateLimited(wait, 'Too many sign-in attempts for this account; try again later.');
  const session = await deps.identity.signIn(account, req.password);
  await attempts.giveBack(account, deps.clock.now());
  const doc = await deps.store.get(USERS, session.uid);
  if (doc) return { user: fromUserDoc(doc.data), session };
  // An account made outside the API (console, another app): give it a profile now.
  const principal = await deps.identity.verifyIdToken(session.idToken);
  const now = deps.clock.now().toISOString();
  const email = principal.email ?? account;
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
