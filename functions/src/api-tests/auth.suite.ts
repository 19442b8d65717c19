/**
 * Accounts and sessions: register, login, refresh, logout, the caller's profile
 * (`/v1/me`), and the admin's user routes (list with paging, read, set role), with every
 * error these routes can give (400, 401, 403, 404, 409).
 */
import { describe, expect, it } from 'vitest';
import { type Account, type ApiClient, type Reply, uniqueEmail } from './client.ts';
import {
  expectEmpty,
  expectError,
  expectOk,
  expectValidation,
  listAll,
  StrictAuthResult,
  StrictSession,
  StrictUser,
  sleep,
  UserPage,
} from './expectations.ts';

/** More wrong passwords for one account than any limit of guessing lets through. */
const GUESSES_TRIED = 100;

/** Firebase compares revocation and sign-in times in whole seconds. */
const REVOCATION_GRANULARITY_MS = 1_100;

async function me(api: ApiClient, token: string) {
  return api.call('GET', '/v1/me', { token });
}

export function authSuite(client: () => ApiClient): void {
  describe('POST /v1/auth/register', () => {
    it('creates a member and signs them in', async () => {
      const api = client();
      const email = uniqueEmail('Reg');
      const r = await api.call('POST', '/v1/auth/register', {
        body: { email, password: 'password-123', displayName: 'Reg Istered' },
      });
      const result = expectOk(r, 201, StrictAuthResult);
      expect(result.user).toMatchObject({
        email,
        displayName: 'Reg Istered',
        role: 'member',
        preferences: {},
      });
      expect(result.expiresIn).toBeGreaterThan(0);
      const mine = expectOk(await me(api, result.idToken), 200, StrictUser);
      expect(mine).toEqual(result.user);
    });

    it('gives 409 USER.EMAIL_EXISTS for an email already registered, whatever its case', async () => {
      const api = client();
      const m = await api.member('dup');
      for (const email of [m.email, m.email.toUpperCase()]) {
        const r = await api.call('POST', '/v1/auth/register', {
          body: { email, password: 'another-password', displayName: 'Again' },
        });
        expectError(r, 409, 'USER.EMAIL_EXISTS');
      }
      // The first account is untouched: its password still signs in.
      const login = await api.call('POST', '/v1/auth/login', {
        body: { email: m.email, password: m.password },
      });
      expectOk(login, 200, StrictAuthResult);
    });

    it('gives 400 naming each bad field, and never takes a role from the body', async () => {
      const api = client();
      const cases: [Record<string, unknown>, string[]][] = [
        [{ email: 'not-an-email', password: 'password-123', displayName: 'x' }, ['email']],
        [{ email: uniqueEmail('p'), password: 'short12', displayName: 'x' }, ['password']],
        [{ email: uniqueEmail('p'), password: 'p'.repeat(129), displayName: 'x' }, ['password']],
        [{ email: uniqueEmail('p'), password: 'password-123', displayName: '   ' }, ['displayName']],
        [
          { email: uniqueEmail('p'), password: 'password-123', displayName: 'd'.repeat(101) },
          ['displayName'],
        ],
        [{ password: 'password-123' }, ['email', 'displayName']],
        [{ email: uniqueEmail('p'), password: 'password-123', displayName: 'x', role: 'admin' }, ['role']],
      ];
      for (const [body, paths] of cases) {
        expectValidation(await api.call('POST', '/v1/auth/register', { body }), ...paths);
      }
    });

    it('accepts the boundaries: an 8- and a 128-character password, a 100-character name', async () => {
      const api = client();
      for (const [password, displayName] of [
        ['p'.repeat(8), 'd'.repeat(100)],
        ['p'.repeat(128), 'n'],
      ] as const) {
        const r = await api.call('POST', '/v1/auth/register', {
          body: { email: uniqueEmail('edge'), password, displayName },
        });
        expect(expectOk(r, 201, StrictAuthResult).user.displayName).toBe(displayName);
      }
    });
  });

  describe('POST /v1/auth/login', () => {
    it('signs in with email and password and returns the same user', async () => {
      const api = client();
      const m = await api.member('login');
      const r = await api.call('POST', '/v1/auth/login', { body: { email: m.email, password: m.password } });
      const result = expectOk(r, 200, StrictAuthResult);
      expect(result.user.id).toBe(m.uid);
      expect(expectOk(await me(api, result.idToken), 200, StrictUser).id).toBe(m.uid);
    });

    it('gives the same 401 for a wrong password and an unknown email', async () => {
      const api = client();
      const m = await api.member('login');
      const wrongPassword = expectError(
        await api.call('POST', '/v1/auth/login', { body: { email: m.email, password: 'wrong-password' } }),
        401,
        'AUTH.INVALID_CREDENTIALS',
      );
      const unknownEmail = expectError(
        await api.call('POST', '/v1/auth/login', {
          body: { email: uniqueEmail('nobody'), password: 'wrong-password' },
        }),
        401,
        'AUTH.INVALID_CREDENTIALS',
      );
      expect(unknownEmail.message).toBe(wrongPassword.message);
      expect(unknownEmail.details).toEqual(wrongPassword.details);
    });

    it('limits password guessing per account: 429 with Retry-After, even for the right password', async () => {
      const api = client();
      const [victim, bystander] = [await api.member('victim'), await api.member('bystander')];
      const login = (email: string, password: string) =>
        api.call('POST', '/v1/auth/login', { body: { email, password } });
      let limited: Reply | undefined;
      let refused = 0;
      for (let i = 0; i < GUESSES_TRIED && !limited; i++) {
        const r = await login(victim.email, `wrong-password-${i}`);
        if (r.status === 429) limited = r;
        else {
          expectError(r, 401, 'AUTH.INVALID_CREDENTIALS');
          refused++;
        }
      }
      expect(limited, `${GUESSES_TRIED} wrong passwords in a row were never limited`).toBeDefined();
      expect(refused).toBeGreaterThan(0);
      expectError(limited!, 429, 'RATE.LIMITED');
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Guessing is over for now: the right password (in any case of the email) is refused too.
      for (const email of [victim.email, victim.email.toUpperCase()]) {
        const r = await login(email, victim.password);
        expectError(r, 429, 'RATE.LIMITED');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // Other accounts sign in, and the victim's existing session still works.
      expectOk(await login(bystander.email, bystander.password), 200, StrictAuthResult);
      expectOk(await me(api, victim.token), 200, StrictUser);
    });

    it('gives 400 for a missing field or an unknown one', async () => {
      const api = client();
      expectValidation(
        await api.call('POST', '/v1/auth/login', { body: { email: 'a@example.com' } }),
        'password',
      );
      expectValidation(
        await api.call('POST', '/v1/auth/login', { body: { email: 'a@example.com', password: 'x', otp: 1 } }),
        'otp',
      );
    });
  });

  describe('POST /v1/auth/refresh', () => {
    it('exchanges a refresh token for working tokens', async () => {
      const api = client();
      const m = await api.member('refresh');
      const r = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
      const session = expectOk(r, 200, StrictSession);
      expect(session.expiresIn).toBeGreaterThan(0);
      expect(expectOk(await me(api, session.idToken), 200, StrictUser).id).toBe(m.uid);
      // The rotated refresh token works in its turn.
      const again = await api.call('POST', '/v1/auth/refresh', {
        body: { refreshToken: session.refreshToken },
      });
      expectOk(again, 200, StrictSession);
    });

    it('gives 401 AUTH.INVALID_REFRESH_TOKEN for a bad refresh token', async () => {
      const api = client();
      for (const refreshToken of ['not-a-refresh-token', 'A'.repeat(300)]) {
        const r = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken } });
        expectError(r, 401, 'AUTH.INVALID_REFRESH_TOKEN');
      }
      expectValidation(
        await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: '' } }),
        'refreshToken',
      );
    });
  });

  describe('POST /v1/auth/logout', () => {
    it('answers 204 and revokes the ID token and the refresh token', async () => {
      const api = client();
      const m = await api.member('logout');
      const refreshed = expectOk(
        await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: m.refreshToken } }),
        200,
        StrictSession,
      );
      // Use the tokens first, so any verification cache holds them.
      expectOk(await me(api, m.token), 200, StrictUser);
      expectOk(await me(api, refreshed.idToken), 200, StrictUser);
      await sleep(REVOCATION_GRANULARITY_MS);

      expectEmpty(await api.call('POST', '/v1/auth/logout', { token: m.token }), 204);

      expectError(await me(api, m.token), 401, 'AUTH.UNAUTHENTICATED');
      expectError(await me(api, refreshed.idToken), 401, 'AUTH.UNAUTHENTICATED');
      for (const refreshToken of [m.refreshToken, refreshed.refreshToken]) {
        const r = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken } });
        expectError(r, 401, 'AUTH.INVALID_REFRESH_TOKEN');
      }
      // Signing in again gives a working session.
      const login = expectOk(
        await api.call('POST', '/v1/auth/login', { body: { email: m.email, password: m.password } }),
        200,
        StrictAuthResult,
      );
      expectOk(await me(api, login.idToken), 200, StrictUser);
    });

    it('signs out the caller only', async () => {
      const api = client();
      const [a, b] = [await api.member('a'), await api.member('b')];
      expectEmpty(await api.call('POST', '/v1/auth/logout', { token: a.token }), 204);
      expectOk(await me(api, b.token), 200, StrictUser);
    });
  });

  describe('/v1/me', () => {
    it('GET returns the caller', async () => {
      const api = client();
      const m = await api.member('Me Myself');
      const user = expectOk(await me(api, m.token), 200, StrictUser);
      expect(user).toMatchObject({ id: m.uid, email: m.email, displayName: 'Me Myself', role: 'member' });
    });

    it('PATCH changes the display name and merges preferences; null removes a key', async () => {
      const api = client();
      const m = await api.member('prefs');
      const before = expectOk(await me(api, m.token), 200, StrictUser);
      const patch = (body: unknown) => api.call('PATCH', '/v1/me', { token: m.token, body });

      const first = expectOk(
        await patch({ displayName: 'New Name', preferences: { theme: 'dark', lang: 'en', compact: true } }),
        200,
        StrictUser,
      );
      expect(first.displayName).toBe('New Name');
      expect(first.preferences).toEqual({ theme: 'dark', lang: 'en', compact: true });
      expect(first.updatedAt >= before.updatedAt).toBe(true);
      expect(first.createdAt).toBe(before.createdAt);

      const second = expectOk(await patch({ preferences: { lang: 'fr', pageSize: 50 } }), 200, StrictUser);
      expect(second.preferences).toEqual({ theme: 'dark', lang: 'fr', compact: true, pageSize: 50 });
      expect(second.displayName).toBe('New Name');

      const third = expectOk(await patch({ preferences: { theme: null, compact: null } }), 200, StrictUser);
      expect(third.preferences).toEqual({ lang: 'fr', pageSize: 50 });

      expect(expectOk(await me(api, m.token), 200, StrictUser)).toEqual(third);
    });

    it('PATCH gives 400 for nothing to change, bad values and fields it does not own', async () => {
      const api = client();
      const m = await api.member('prefs');
      const before = expectOk(await me(api, m.token), 200, StrictUser);
      const patch = (body: unknown) => api.call('PATCH', '/v1/me', { token: m.token, body });
      expectValidation(await patch({}), 'body');
      expectValidation(await patch({ displayName: '' }), 'displayName');
      expectValidation(await patch({ preferences: { nested: { a: 1 } } }), 'preferences.nested');
      expectValidation(await patch({ preferences: { long: 'x'.repeat(501) } }), 'preferences.long');
      expectValidation(
        await patch({ preferences: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }),
        'preferences',
      );
      // Names the database reserves (`__.*__`) or that are no plain name are refused too.
      for (const name of ['__x__', '__name__', '__', '_x', 'a b', 'a/b', 'é', '\u0000']) {
        expectValidation(await patch({ preferences: { [name]: 1 } }), `preferences.${name}`);
      }
      expectValidation(await patch({ role: 'admin' }), 'role');
      expectValidation(await patch({ email: 'other@example.com' }), 'email');
      expect(expectOk(await me(api, m.token), 200, StrictUser)).toEqual(before);
    });
  });

  describe('GET /v1/users/{id}', () => {
    it('returns yourself; another member is 404 USER.NOT_FOUND; the admin reads anyone', async () => {
      const api = client();
      const [a, b] = [await api.member('a'), await api.member('b')];
      const admin = await api.admin();
      expect(
        expectOk(await api.call('GET', `/v1/users/${a.uid}`, { token: a.token }), 200, StrictUser).id,
      ).toBe(a.uid);
      expectError(await api.call('GET', `/v1/users/${b.uid}`, { token: a.token }), 404, 'USER.NOT_FOUND');
      expectError(await api.call('GET', `/v1/users/${admin.uid}`, { token: a.token }), 404, 'USER.NOT_FOUND');
      // An id that exists nowhere looks the same to a member.
      expectError(
        await api.call('GET', '/v1/users/AAAAAAAAAAAAAAAAAAAA', { token: a.token }),
        404,
        'USER.NOT_FOUND',
      );
      const seen = expectOk(
        await api.call('GET', `/v1/users/${b.uid}`, { token: admin.token }),
        200,
        StrictUser,
      );
      expect(seen).toMatchObject({ id: b.uid, email: b.email, role: 'member' });
      expectError(
        await api.call('GET', '/v1/users/AAAAAAAAAAAAAAAAAAAA', { token: admin.token }),
        404,
        'USER.NOT_FOUND',
      );
    });
  });

  describe('GET /v1/users (admin)', () => {
    it('is 403 AUTH.FORBIDDEN for a member', async () => {
      const api = client();
      const m = await api.member('m');
      expectError(await api.call('GET', '/v1/users', { token: m.token }), 403, 'AUTH.FORBIDDEN');
    });

    it('lists every user once, oldest first, across pages', async () => {
      const api = client();
      const created: Account[] = [];
      for (const name of ['p1', 'p2', 'p3']) created.push(await api.member(name));
      const admin = await api.admin();

      const all = await listAll(api, admin, '/v1/users', UserPage);
      const ids = all.map((u) => u.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const m of created) expect(ids.filter((id) => id === m.uid)).toHaveLength(1);
      expect(ids).toContain(admin.uid);
      const createdAts = all.map((u) => u.createdAt);
      expect(createdAts).toEqual([...createdAts].sort());
      // The new users are the newest, in the order they registered.
      const positions = created.map((m) => ids.indexOf(m.uid));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));

      // Pages of 2 chain into the same sequence as one page of 6.
      const six = expectOk(await api.call('GET', '/v1/users?limit=6', { token: admin.token }), 200, UserPage);
      const chained: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 3; page++) {
        const url: string = `/v1/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = expectOk(await api.call('GET', url, { token: admin.token }), 200, UserPage);
        expect(body.items.length).toBeLessThanOrEqual(2);
        chained.push(...body.items.map((u) => u.id));
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      expect(chained).toEqual(six.items.map((u) => u.id).slice(0, chained.length));
      expect(chained.length).toBe(Math.min(6, all.length));
    });

    it('gives 400 for a bad limit or cursor', async () => {
      const api = client();
      const admin = await api.admin();
      for (const limit of ['0', '101', 'abc']) {
        expectValidation(
          await api.call('GET', `/v1/users?limit=${limit}`, { token: admin.token }),
          'query.limit',
        );
      }
      expectError(
        await api.call('GET', '/v1/users?cursor=garbage', { token: admin.token }),
        400,
        'REQUEST.BAD_CURSOR',
      );
    });
  });

  describe('PUT /v1/users/{id}/role (admin)', () => {
    it('is 403 AUTH.FORBIDDEN for a member, even on themself', async () => {
      const api = client();
      const m = await api.member('m');
      const r = await api.call('PUT', `/v1/users/${m.uid}/role`, { token: m.token, body: { role: 'admin' } });
      expectError(r, 403, 'AUTH.FORBIDDEN');
      expect(expectOk(await me(api, m.token), 200, StrictUser).role).toBe('member');
    });

    it('makes a member an admin, effective for the tokens they hold and the next ones', async () => {
      const api = client();
      const m = await api.member('promoted');
      const admin = await api.admin();
      expectError(await api.call('GET', '/v1/users', { token: m.token }), 403, 'AUTH.FORBIDDEN');

      const r = await api.call('PUT', `/v1/users/${m.uid}/role`, {
        token: admin.token,
        body: { role: 'admin' },
      });
      expect(expectOk(r, 200, StrictUser)).toMatchObject({ id: m.uid, role: 'admin' });
      // The role comes from the account, not from the token's claim: the token they hold works.
      expectOk(await api.call('GET', '/v1/users?limit=1', { token: m.token }), 200, UserPage);
      const seen = expectOk(
        await api.call('GET', `/v1/users/${m.uid}`, { token: admin.token }),
        200,
        StrictUser,
      );
      expect(seen.role).toBe('admin');

      const refreshed = expectOk(
        await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: m.refreshToken } }),
        200,
        StrictSession,
      );
      expectOk(await api.call('GET', '/v1/users?limit=1', { token: refreshed.idToken }), 200, UserPage);
      const login = expectOk(
        await api.call('POST', '/v1/auth/login', { body: { email: m.email, password: m.password } }),
        200,
        StrictAuthResult,
      );
      expect(login.user.role).toBe('admin');
      expectOk(await api.call('GET', '/v1/users?limit=1', { token: login.idToken }), 200, UserPage);

      // And back: the next token is a member's again.
      const back = await api.call('PUT', `/v1/users/${m.uid}/role`, {
        token: admin.token,
        body: { role: 'member' },
      });
      expect(expectOk(back, 200, StrictUser).role).toBe('member');
      const demoted = expectOk(
        await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }),
        200,
        StrictSession,
      );
      expectError(await api.call('GET', '/v1/users', { token: demoted.idToken }), 403, 'AUTH.FORBIDDEN');
    });

    it("takes the admin rights from a demoted admin's existing ID token at once (403)", async () => {
      const api = client();
      const m = await api.member('demoted');
      const admin = await api.admin();
      const setRole = (role: string) =>
        api.call('PUT', `/v1/users/${m.uid}/role`, { token: admin.token, body: { role } });
      expectOk(await setRole('admin'), 200, StrictUser);
      // A token issued while an admin, carrying the admin claim, used (and so cached) as one.
      const asAdmin = expectOk(
        await api.call('POST', '/v1/auth/login', { body: { email: m.email, password: m.password } }),
        200,
        StrictAuthResult,
      );
      expectOk(await api.call('GET', '/v1/users?limit=1', { token: asAdmin.idToken }), 200, UserPage);

      expect(expectOk(await setRole('member'), 200, StrictUser).role).toBe('member');

      for (const token of [asAdmin.idToken, m.token]) {
        expectError(await api.call('GET', '/v1/users', { token }), 403, 'AUTH.FORBIDDEN');
        expectError(
          await api.call('PUT', `/v1/users/${m.uid}/role`, { token, body: { role: 'admin' } }),
          403,
          'AUTH.FORBIDDEN',
        );
        // Still signed in, as the member they now are.
        expect(expectOk(await me(api, token), 200, StrictUser).role).toBe('member');
      }
    });

    it('gives 404 for an unknown user and 400 for an unknown role', async () => {
      const api = client();
      const admin = await api.admin();
      const m = await api.member('m');
      expectError(
        await api.call('PUT', '/v1/users/AAAAAAAAAAAAAAAAAAAA/role', {
          token: admin.token,
          body: { role: 'admin' },
        }),
        404,
        'USER.NOT_FOUND',
      );
      expectValidation(
        await api.call('PUT', `/v1/users/${m.uid}/role`, { token: admin.token, body: { role: 'owner' } }),
        'role',
      );
      expectValidation(
        await api.call('PUT', `/v1/users/${m.uid}/role`, { token: admin.token, body: { role: 'ADMIN' } }),
        'role',
      );
      expect(expectOk(await me(api, m.token), 200, StrictUser).role).toBe('member');
    });
  });
}
