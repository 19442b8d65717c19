/** The identity provider: accounts, passwords, tokens and the role claim. */
import type { Principal, Role } from '../domain/common.schema.ts';

export interface Session {
  idToken: string;
  refreshToken: string;
  /** Seconds until the ID token expires. */
  expiresIn: number;
  uid: string;
}

export interface NewAccount {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

export interface IdentityProvider {
  /** Creates the account with its role claim; rejects with USER.EMAIL_EXISTS. */
  createAccount(account: NewAccount): Promise<{ uid: string }>;
  deleteAccount(uid: string): Promise<void>;
  /** Rejects with AUTH.INVALID_CREDENTIALS, whichever of email or password is wrong. */
  signIn(email: string, password: string): Promise<Session>;
  /** Rejects with AUTH.INVALID_REFRESH_TOKEN. */
  refresh(refreshToken: string): Promise<Session>;
  /** Revokes every refresh token of the account; ID tokens issued before stop verifying. */
  revokeSessions(uid: string): Promise<void>;
  /**
   * The token's principal with the account's role as it is now (not the role the token was
   * issued with). Rejects with AUTH.UNAUTHENTICATED, revoked tokens and disabled accounts too.
   */
  verifyIdToken(idToken: string): Promise<Principal & { expiresAt: number }>;
  /** Sets the account's role claim; the next verification of any of its tokens sees it. */
  setRole(uid: string, role: Role): Promise<void>;
  findByEmail(email: string): Promise<{ uid: string } | null>;
}
