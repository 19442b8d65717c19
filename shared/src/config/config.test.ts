/** Configuration is validated with messages that name the variable, and has defaults. */
import { expect, expectTypeOf, it } from 'vitest';
import { CONFIG_SETTINGS, type Config, parseConfig } from './config.ts';

it('reads defaults and the emulator hosts', () => {
  const c = parseConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' });
  expect(c).toMatchObject({
    projectId: 'demo-x',
    maxJsonBodyBytes: 262_144,
    idempotencyTtlHours: 24,
    firestoreEmulatorHost: '127.0.0.1:8080',
    corsOrigins: ['*'],
  });
});

it('names each bad variable', () => {
  expect(() => parseConfig({ MAX_JSON_BODY_BYTES: 'lots', LOG_LEVEL: 'loud' })).toThrowError(
    /GOOGLE_CLOUD_PROJECT.*LOG_LEVEL.*MAX_JSON_BODY_BYTES|GOOGLE_CLOUD_PROJECT/,
  );
  expect(() => parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', MAX_JSON_BODY_BYTES: 'lots' })).toThrowError(
    /MAX_JSON_BODY_BYTES/,
  );
});

it('reads the event age cut-off and the retentions, with defaults', () => {
  // A week: longer than any backlog takes to drain (README, "Webhooks, secrets and retention").
  expect(parseConfig({ GOOGLE_CLOUD_PROJECT: 'p' })).toMatchObject({
    eventMaxAgeSeconds: 7 * 86_400,
    auditRetentionDays: 365,
    deadLetterRetentionDays: 7,
    notificationRetentionDays: 90,
  });
  expect(
    parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', EVENT_MAX_AGE_SECONDS: '600', AUDIT_RETENTION_DAYS: '30' }),
  ).toMatchObject({ eventMaxAgeSeconds: 600, auditRetentionDays: 30 });
  expect(() => parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', EVENT_MAX_AGE_SECONDS: 'old' })).toThrowError(
    /EVENT_MAX_AGE_SECONDS/,
  );
});

it('reads the limits, with defaults', () => {
  expect(parseConfig({ GOOGLE_CLOUD_PROJECT: 'p' })).toMatchObject({
    rateLimitPerMinute: 600,
    authFailuresPerMinute: 30,
    loginAttemptsPerAccountPerHour: 10,
    trustedProxyHops: 0,
  });
  expect(
    parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', AUTH_FAILURES_PER_MINUTE: '0', TRUSTED_PROXY_HOPS: '1' }),
  ).toMatchObject({ authFailuresPerMinute: 0, trustedProxyHops: 1 });
});

it('declares every key of Config once, each variable for one key only', () => {
  expectTypeOf<keyof typeof CONFIG_SETTINGS>().toEqualTypeOf<keyof Config>();
  const names = Object.values(CONFIG_SETTINGS).flatMap((setting) => setting.env);
  expect(Object.values(CONFIG_SETTINGS).every((setting) => setting.env.length > 0)).toBe(true);
  expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
});

const PROBE = 'not-a-number';
const projectVariable = CONFIG_SETTINGS.projectId.env[0];
const declared = Object.entries(CONFIG_SETTINGS).flatMap(([key, setting]) =>
  setting.env.map((name) => [name, key as keyof Config] as const),
);

it.each(declared)('reads %s into %s, and names it when its value is invalid', (name, key) => {
  const env = { ...(key === 'projectId' ? {} : { [projectVariable]: 'p' }), [name]: PROBE };
  let read: unknown;
  try {
    read = parseConfig(env)[key];
  } catch (error) {
    expect((error as Error).message).toMatch(new RegExp(`^Invalid configuration: ${name}: [^;]+$`));
    return;
  }
  expect([read].flat()).toEqual([PROBE]);
});

it('names the fallback variable an invalid value came from', () => {
  expect(() => parseConfig({ GCLOUD_PROJECT: '' })).toThrowError(/^Invalid configuration: GCLOUD_PROJECT: /);
  expect(() => parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', SERVICE_ID: '' })).toThrowError(
    /^Invalid configuration: SERVICE_ID: /,
  );
});
