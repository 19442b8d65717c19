/**
 * Limits that hold (QUALITY.md), in-process with small limits of their own: anonymous
 * traffic is keyed on the address the platform appends (the harness's gateway appends the
 * peer's, as the platform does), so rotating X-Forwarded-For does not reset a bucket, and
 * requests with missing or bad tokens are limited too. Each test calls from a loopback
 * address of its own (127.0.0.x), which is another client as far as the server can tell.
 * Password guessing per account, which lives in Firestore, is in the auth suite.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Reply } from './client.ts';
import { expectError, expectOk, StrictUser } from './expectations.ts';
import { useInProcessApi } from './use-in-process.ts';

const REQUESTS_PER_MINUTE = 20;
const AUTH_FAILURES_PER_MINUTE = 5;
process.env.RATE_LIMIT_PER_MINUTE = String(REQUESTS_PER_MINUTE);
process.env.AUTH_FAILURES_PER_MINUTE = String(AUTH_FAILURES_PER_MINUTE);

const client = useInProcessApi();

/** A different client-written X-Forwarded-For on every call: what a header rotator sends. */
const rotated = () => ({
  'X-Forwarded-For': `203.0.113.${randomInt(256)}, 198.51.100.${randomInt(256)}`,
});

function expectLimited(r: Reply): void {
  expectError(r, 429, 'RATE.LIMITED');
  expect(Number(r.headers.get('retry-after')), 'Retry-After').toBeGreaterThan(0);
}

describe('anonymous traffic is keyed on the address the platform appends', () => {
  it('rotating X-Forwarded-For does not reset the bucket; another address has its own', async () => {
    const api = client();
    const from = '127.0.0.11';
    for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
      const r = await api.call('GET', '/v1/health', { from, headers: rotated() });
      expect(r.status, `request ${i + 1}`).toBe(200);
    }
    expectLimited(await api.call('GET', '/v1/health', { from, headers: rotated() }));
    expectLimited(await api.call('GET', '/v1/health', { from }));
    expect((await api.call('GET', '/v1/health', { from: '127.0.0.12', headers: rotated() })).status).toBe(
      200,
    );
  });

  it('requests without a token to a route that needs one are limited as anonymous ones', async () => {
    const api = client();
    const from = '127.0.0.13';
    for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
      expectError(await api.call('GET', '/v1/me', { from, headers: rotated() }), 401, 'AUTH.UNAUTHENTICATED');
    }
    expectLimited(await api.call('GET', '/v1/me', { from, headers: rotated() }));
  });
});

describe('failed authentication is limited', () => {
  it('garbage bearer tokens get 429 after the limit, whatever the header says', async () => {
    const api = client();
    const from = '127.0.0.14';
    const member = await api.member('bystander');
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      const r = await api.call('GET', '/v1/me', { from, token: `garbage-${i}`, headers: rotated() });
      expectError(r, 401, 'AUTH.UNAUTHENTICATED');
    }
    for (const token of ['garbage-again', 'x'.repeat(2_000)]) {
      expectLimited(await api.call('GET', '/v1/me', { from, token, headers: rotated() }));
    }
    // Signed-in callers elsewhere are not affected.
    expectOk(await api.call('GET', '/v1/me', { token: member.token, from: '127.0.0.15' }), 200, StrictUser);
  });
});
