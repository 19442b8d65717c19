/**
 * Password guessing is limited per account across instances, on the emulators: the stack's
 * dev host is one instance; this test process, wired as deployed (`appDeps()`: Firestore,
 * Pub/Sub and Firebase Auth, here their emulators of the same stack), is another. Wrong
 * passwords sent to either one count against the same account everywhere.
 */
import { isAppError } from '@taskman/shared/errors/app-error';
import { loginUser } from '@taskman/shared/users/login-user';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { describe, expect, inject, it } from 'vitest';
import { type Account, MEMBER_PASSWORD } from './client.ts';
import { expectError } from './expectations.ts';
import { useStackApi } from './use-stack.ts';

process.env.GOOGLE_CLOUD_PROJECT = inject('projectId');
process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
process.env.FIREBASE_AUTH_EMULATOR_HOST = inject('authHost');
process.env.PUBSUB_EMULATOR_HOST = inject('pubsubHost');
process.env.LOG_LEVEL = 'silent';

const client = useStackApi();

/** More wrong passwords than any limit of guessing lets through. */
const GUESSES_TRIED = 100;

/** The other instance's answer to one sign-in: 'ok' or the error code. */
async function signInElsewhere(account: Account, password: string): Promise<string> {
  try {
    await loginUser({ email: account.email, password }, appDeps());
    return 'ok';
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
}

describe('password guessing across instances (emulators)', () => {
  it('wrong passwords sent to the stack lock the account on another instance too', async () => {
    const api = client();
    const victim = await api.member('victim');
    let limited = false;
    for (let i = 0; i < GUESSES_TRIED && !limited; i++) {
      const r = await api.call('POST', '/v1/auth/login', {
        body: { email: victim.email, password: `wrong-${i}` },
      });
      if (r.status === 429) limited = true;
      else expectError(r, 401, 'AUTH.INVALID_CREDENTIALS');
    }
    expect(limited, 'the stack never limited the guessing').toBe(true);
    expect(await signInElsewhere(victim, MEMBER_PASSWORD)).toBe('RATE.LIMITED');
  });

  it('wrong passwords sent to another instance lock the account on the stack', async () => {
    const api = client();
    const victim = await api.member('victim');
    const answers: string[] = [];
    for (let i = 0; i < GUESSES_TRIED && !answers.includes('RATE.LIMITED'); i++) {
      answers.push(await signInElsewhere(victim, `wrong-${i}`));
    }
    expect(answers.at(-1), 'the other instance never limited the guessing').toBe('RATE.LIMITED');
    expect(new Set(answers.slice(0, -1))).toEqual(new Set(['AUTH.INVALID_CREDENTIALS']));
    const r = await api.call('POST', '/v1/auth/login', {
      body: { email: victim.email, password: MEMBER_PASSWORD },
    });
    expectError(r, 429, 'RATE.LIMITED');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
