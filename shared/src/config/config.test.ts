/** Configuration is validated with messages that name the variable, and has defaults. */
import { expect, it } from 'vitest';
import { parseConfig } from './config.ts';

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

it('reads the event age cut-off and the audit retention, with defaults', () => {
  expect(parseConfig({ GOOGLE_CLOUD_PROJECT: 'p' })).toMatchObject({
    eventMaxAgeSeconds: 86_400,
    auditRetentionDays: 365,
  });
  expect(
    parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', EVENT_MAX_AGE_SECONDS: '600', AUDIT_RETENTION_DAYS: '30' }),
  ).toMatchObject({ eventMaxAgeSeconds: 600, auditRetentionDays: 30 });
  expect(() => parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', EVENT_MAX_AGE_SECONDS: 'old' })).toThrowError(
    /EVENT_MAX_AGE_SECONDS/,
  );
});
