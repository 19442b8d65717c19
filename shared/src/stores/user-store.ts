/** How users are kept in the document store, and lookups the other use cases share. */
import { type User, UserSchema } from '../domain/user.schema.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import type { DocData, Transaction } from '../ports/document-store.ts';

export const USERS = 'users';

export const userNotFound = () => new AppError('USER.NOT_FOUND', 'No such user.');

export function fromUserDoc(data: DocData): User {
  return UserSchema.parse(data);
}

export async function loadUser(tx: Pick<Transaction, 'get'>, uid: string): Promise<User> {
  const doc = await tx.get(USERS, uid);
  if (!doc) throw userNotFound();
  return fromUserDoc(doc.data);
}

/** A 400 naming `field` when no user has this id (assigning to nobody is a client error). */
export async function assertUserExists(
  tx: Pick<Transaction, 'get'>,
  uid: string,
  field: string,
): Promise<void> {
  if (!(await tx.get(USERS, uid))) throw validationError([{ path: field, reason: 'no user has this id' }]);
}
