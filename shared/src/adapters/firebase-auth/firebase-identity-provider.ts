/**
 * IdentityProvider on Firebase Authentication (or its emulator, named by
 * FIREBASE_AUTH_EMULATOR_HOST): accounts and claims through `firebase-admin`, password
 * sign-in and token refresh through the Identity Toolkit and Secure Token REST APIs,
 * every outbound call bounded in time. `firebase-admin` is imported on first use.
 */
import type { Auth } from 'firebase-admin/auth';
import type { Principal, Role } from '../../domain/common.schema.ts';
import { RoleSchema } from '../../domain/common.schema.ts';
import { AppError, isAppError } from '../../errors/app-error.ts';
import type { IdentityProvider, NewAccount, Session } from '../../ports/identity.ts';

export interface FirebaseIdentityOptions {
  projectId: string;
  apiKey: string;
  /** `host:port` of the Auth emulator, when running locally. */
  emulatorHost: string | undefined;
  timeoutMs: number;
}

const INVALID_CREDENTIALS = new Set([
  'EMAIL_NOT_FOUND',
  'INVALID_PASSWORD',
  'INVALID_LOGIN_CREDENTIALS',
  'USER_DISABLED',
  'INVALID_EMAIL',
  'MISSING_PASSWORD',
]);

function authCode(error: unknown): string {
  const code =
    (error as { code?: unknown; errorInfo?: { code?: unknown } }).code ??
    (error as { errorInfo?: { code?: unknown } }).errorInfo?.code;
  return typeof code === 'string' ? code : '';
}

export class FirebaseIdentityProvider implements IdentityProvider {
  private auth: Promise<Auth> | undefined;

  constructor(private readonly options: FirebaseIdentityOptions) {}

  private admin(): Promise<Auth> {
    this.auth ??= (async () => {
      const [{ initializeApp, getApps }, { getAuth }] = await Promise.all([
        import('firebase-admin/app'),
        import('firebase-admin/auth'),
      ]);
      const name = 'taskman';
      const app =
        getApps().find((a) => a.name === name) ?? initializeApp({ projectId: this.options.projectId }, name);
      return getAuth(app);
    })();
    return this.auth;
  }

  private base(service: 'identitytoolkit' | 'securetoken'): string {
    const host = this.options.emulatorHost;
    return host ? `http://${host}/${service}.googleapis.com/v1` : `https://${service}.googleapis.com/v1`;
  }

  /** Runs an admin call, mapping transport failures to DEPENDENCY.UNAVAILABLE. */
  private async call<T>(run: (auth: Auth) => Promise<T>): Promise<T> {
    const auth = await this.admin();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(auth),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new AppError('DEPENDENCY.UNAVAILABLE', 'The identity service did not answer in time.')),
            this.options.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      if (isAppError(error)) throw error;
      const code = authCode(error);
      if (code === 'auth/internal-error' || code === 'app/network-error' || code === 'app/network-timeout') {
        throw new AppError('DEPENDENCY.UNAVAILABLE', 'The identity service is unavailable.', {
          cause: error,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async rest(
    url: string,
    init: RequestInit,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new AppError('DEPENDENCY.UNAVAILABLE', 'The identity service is unavailable.', { cause: error });
    }
    if (response.status >= 500) {
      throw new AppError('DEPENDENCY.UNAVAILABLE', `The identity service answered ${response.status}.`);
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: response.status, body };
  }

  async createAccount(account: NewAccount): Promise<{ uid: string }> {
    try {
      const user = await this.call((auth) =>
        auth.createUser({
          email: account.email,
          password: account.password,
          displayName: account.displayName,
        }),
      );
      await this.call((auth) => auth.setCustomUserClaims(user.uid, { role: account.role }));
      return { uid: user.uid };
    } catch (error) {
      if (authCode(error) === 'auth/email-already-exists') {
        throw new AppError('USER.EMAIL_EXISTS', 'An account with this email already exists.');
      }
      throw error;
    }
  }

  async deleteAccount(uid: string): Promise<void> {
    await this.call((auth) => auth.deleteUser(uid));
  }

  async signIn(email: string, password: string): Promise<Session> {
    const { status, body } = await this.rest(
      `${this.base('identitytoolkit')}/accounts:signInWithPassword?key=${encodeURIComponent(this.options.apiKey)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, returnSecureToken: true }),
      },
    );
    if (status !== 200) {
      const message = String((body.error as { message?: unknown } | undefined)?.message ?? '');
      if (status === 400 && INVALID_CREDENTIALS.has(message.split(' ')[0] ?? '')) {
        throw new AppError('AUTH.INVALID_CREDENTIALS', 'The email or password is wrong.');
      }
      throw new AppError('DEPENDENCY.UNAVAILABLE', 'The identity service refused the sign-in.', {
        details: { reason: message },
      });
    }
    return {
      uid: String(body.localId),
      idToken: String(body.idToken),
      refreshToken: String(body.refreshToken),
      expiresIn: Number(body.expiresIn),
    };
  }

  async refresh(refreshToken: string): Promise<Session> {
    const { status, body } = await this.rest(
      `${this.base('securetoken')}/token?key=${encodeURIComponent(this.options.apiKey)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      },
    );
    if (status !== 200) {
      throw new AppError('AUTH.INVALID_REFRESH_TOKEN', 'The refresh token is not valid.');
    }
    const session: Session = {
      uid: String(body.user_id),
      idToken: String(body.id_token),
      refreshToken: String(body.refresh_token),
      expiresIn: Number(body.expires_in),
    };
    // A refresh token of revoked sessions must not mint a working ID token. Firebase refuses
    // it itself; the Auth emulator does not, so the minted token is checked for revocation.
    try {
      await this.verifyIdToken(session.idToken);
    } catch (error) {
      if (isAppError(error) && error.code === 'AUTH.UNAUTHENTICATED') {
        throw new AppError('AUTH.INVALID_REFRESH_TOKEN', 'The refresh token is not valid.');
      }
      throw error;
    }
    return session;
  }

  async revokeSessions(uid: string): Promise<void> {
    await this.call((auth) => auth.revokeRefreshTokens(uid));
  }

  /**
   * The signature, then one call to the account: what `verifyIdToken(token, true)` makes to
   * check revocation, here also read for the role. The role is the account's claim as it is
   * now, not the one the token was issued with, so a role change reaches every token the user
   * already holds.
   */
  async verifyIdToken(idToken: string): Promise<Principal & { expiresAt: number }> {
    try {
      const { decoded, account } = await this.call(async (auth) => {
        const decoded = await auth.verifyIdToken(idToken);
        return { decoded, account: await auth.getUser(decoded.uid) };
      });
      // Firebase's own check (auth_time in whole seconds against tokensValidAfterTime).
      const validSince = account.tokensValidAfterTime ? Date.parse(account.tokensValidAfterTime) : 0;
      if (account.disabled || decoded.auth_time * 1000 < validSince) {
        throw new AppError('AUTH.UNAUTHENTICATED', 'The ID token has been revoked.');
      }
      const role = RoleSchema.safeParse(account.customClaims?.role);
      return {
        uid: decoded.uid,
        email: account.email ?? decoded.email,
        role: role.success ? role.data : 'member',
        expiresAt: decoded.exp * 1000,
      };
    } catch (error) {
      if (isAppError(error) && error.code === 'DEPENDENCY.UNAVAILABLE') throw error;
      throw new AppError('AUTH.UNAUTHENTICATED', 'The ID token is missing, expired, revoked or not valid.', {
        cause: error,
      });
    }
  }

  async setRole(uid: string, role: Role): Promise<void> {
    try {
      await this.call((auth) => auth.setCustomUserClaims(uid, { role }));
    } catch (error) {
      if (authCode(error) === 'auth/user-not-found') throw new AppError('USER.NOT_FOUND', 'No such user.');
      throw error;
    }
  }

  async findByEmail(email: string): Promise<{ uid: string } | null> {
    try {
      const user = await this.call((auth) => auth.getUserByEmail(email));
      return { uid: user.uid };
    } catch (error) {
      if (authCode(error) === 'auth/user-not-found') return null;
      throw error;
    }
  }
}
