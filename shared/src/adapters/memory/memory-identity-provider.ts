/** IdentityProvider held in memory, with opaque random tokens, for unit tests. */
import { randomBytes } from 'node:crypto';
import type { Principal, Role } from '../../domain/common.schema.ts';
import { AppError } from '../../errors/app-error.ts';
import type { IdentityProvider, NewAccount, Session } from '../../ports/identity.ts';

interface Account {
  uid: string;
  email: string;
  password: string;
  role: Role;
  revokedBefore: number;
}

export class MemoryIdentityProvider implements IdentityProvider {
  private readonly accounts = new Map<string, Account>();
  private readonly idTokens = new Map<string, { uid: string; issuedAt: number; expiresAt: number }>();
  private readonly refreshTokens = new Map<string, { uid: string; issuedAt: number }>();
  private counter = 0;
  /** Set to make every call fail as if the service were down. */
  down = false;

  private check(): void {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'The identity service is unavailable.');
  }

  private session(uid: string): Session {
    const now = ++this.counter;
    const idToken = randomBytes(16).toString('hex');
    const refreshToken = randomBytes(16).toString('hex');
    this.idTokens.set(idToken, { uid, issuedAt: now, expiresAt: Date.now() + 3_600_000 });
    this.refreshTokens.set(refreshToken, { uid, issuedAt: now });
    return { uid, idToken, refreshToken, expiresIn: 3600 };
  }

  async createAccount(account: NewAccount): Promise<{ uid: string }> {
    this.check();
    if ([...this.accounts.values()].some((a) => a.email === account.email.toLowerCase())) {
      throw new AppError('USER.EMAIL_EXISTS', 'An account with this email already exists.');
    }
    const uid = `u${++this.counter}${randomBytes(4).toString('hex')}`;
    this.accounts.set(uid, {
      uid,
      email: account.email.toLowerCase(),
      password: account.password,
      role: account.role,
      revokedBefore: 0,
    });
    return { uid };
  }

  async deleteAccount(uid: string): Promise<void> {
    this.check();
    this.accounts.delete(uid);
  }

  async signIn(email: string, password: string): Promise<Session> {
    this.check();
    const account = [...this.accounts.values()].find((a) => a.email === email.toLowerCase());
    if (!account || account.password !== password) {
      throw new AppError('AUTH.INVALID_CREDENTIALS', 'The email or password is wrong.');
    }
    return this.session(account.uid);
  }

  async refresh(refreshToken: string): Promise<Session> {
    this.check();
    const entry = this.refreshTokens.get(refreshToken);
    const account = entry && this.accounts.get(entry.uid);
    if (!entry || !account || entry.issuedAt <= account.revokedBefore) {
      throw new AppError('AUTH.INVALID_REFRESH_TOKEN', 'The refresh token is not valid.');
    }
    return this.session(entry.uid);
  }

  async revokeSessions(uid: string): Promise<void> {
    this.check();
    const account = this.accounts.get(uid);
    if (account) account.revokedBefore = ++this.counter;
  }

  async verifyIdToken(idToken: string): Promise<Principal & { expiresAt: number }> {
    this.check();
    const entry = this.idTokens.get(idToken);
    const account = entry && this.accounts.get(entry.uid);
    if (!entry || !account || entry.issuedAt <= account.revokedBefore || entry.expiresAt < Date.now()) {
      throw new AppError('AUTH.UNAUTHENTICATED', 'The ID token is missing, expired, revoked or not valid.');
    }
    return { uid: account.uid, email: account.email, role: account.role, expiresAt: entry.expiresAt };
  }

  async setRole(uid: string, role: Role): Promise<void> {
    this.check();
    const account = this.accounts.get(uid);
    if (!account) throw new AppError('USER.NOT_FOUND', 'No such user.');
    account.role = role;
  }

  async findByEmail(email: string): Promise<{ uid: string } | null> {
    this.check();
    const account = [...this.accounts.values()].find((a) => a.email === email.toLowerCase());
    return account ? { uid: account.uid } : null;
  }
}
