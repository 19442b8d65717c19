/**
 * Configuration, one typed object read from the environment on first use and validated
 * with zod. Importing this module reads nothing; a bad value fails the first request
 * (and the dev host's start) with a message naming the variable.
 */
import { z } from 'zod';

/** An integer setting with its default and bounds. */
export const intFromEnv = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A setting's environment variables (the first one set wins) and its schema. */
export interface Setting {
  env: readonly [string, ...string[]];
  schema: z.ZodType;
}

/**
 * Every setting, declared once: its key in `Config`, the environment variables it is read
 * from and its schema. The parse input and the variable names in error messages both come
 * from here.
 */
export const CONFIG_SETTINGS = {
  projectId: { env: ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'GCP_PROJECT'], schema: z.string().min(1) },
  serviceId: { env: ['K_SERVICE', 'SERVICE_ID'], schema: z.string().min(1).default('taskman') },
  logLevel: {
    env: ['LOG_LEVEL'],
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  },
  /** Web API key used for the Identity Toolkit REST endpoints (sign-in, refresh). */
  firebaseApiKey: { env: ['FIREBASE_API_KEY'], schema: z.string().min(1).default('demo-api-key') },
  authEmulatorHost: { env: ['FIREBASE_AUTH_EMULATOR_HOST'], schema: z.string().optional() },
  firestoreEmulatorHost: { env: ['FIRESTORE_EMULATOR_HOST'], schema: z.string().optional() },
  pubsubEmulatorHost: { env: ['PUBSUB_EMULATOR_HOST'], schema: z.string().optional() },
  /** Base URL of the local storage emulator, e.g. `http://127.0.0.1:9199`. */
  storageEmulatorHost: { env: ['STORAGE_EMULATOR_HOST'], schema: z.string().optional() },
  /** A service-account key file to sign URLs with locally (the cloud signs through IAM). */
  storageSigningKeyFile: { env: ['STORAGE_SIGNING_KEY_FILE'], schema: z.string().optional() },
  /** Largest JSON body a function accepts, in bytes. */
  maxJsonBodyBytes: { env: ['MAX_JSON_BODY_BYTES'], schema: intFromEnv(256 * 1024, 1024, 32 * 1024 * 1024) },
  /**
   * Requests per caller per minute before 429 (per instance): a signed-in caller by uid,
   * anyone else by client address; 0 turns the limiter off.
   */
  rateLimitPerMinute: { env: ['RATE_LIMIT_PER_MINUTE'], schema: intFromEnv(600, 0, 1_000_000) },
  /** Requests with a bad token per client address per minute before 429 (per instance); 0: off. */
  authFailuresPerMinute: { env: ['AUTH_FAILURES_PER_MINUTE'], schema: intFromEnv(30, 0, 1_000_000) },
  /** Sign-in attempts per account per hour before 429, counted across instances; 0: off. */
  loginAttemptsPerAccountPerHour: {
    env: ['LOGIN_ATTEMPTS_PER_ACCOUNT_PER_HOUR'],
    schema: intFromEnv(10, 0, 1_000_000),
  },
  /**
   * X-Forwarded-For entries that proxies of the deployment append after the client's
   * address: 0 behind API Gateway and Cloud Run, which append the client's address last
   * (see `runtime/client-address.ts`); 1 behind an external Application Load Balancer.
   */
  trustedProxyHops: { env: ['TRUSTED_PROXY_HOPS'], schema: intFromEnv(0, 0, 10) },
  idempotencyTtlHours: { env: ['IDEMPOTENCY_TTL_HOURS'], schema: intFromEnv(24, 1, 24 * 30) },
  /** Allowed CORS origins, comma separated; `*` allows any. */
  corsOrigins: {
    env: ['CORS_ORIGINS'],
    schema: z
      .string()
      .default('*')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  },
  /** Timeout for every outbound call made with fetch, in milliseconds. */
  outboundTimeoutMs: { env: ['OUTBOUND_TIMEOUT_MS'], schema: intFromEnv(10_000, 100, 120_000) },
  /**
   * Events older than this (by envelope timestamp) are dropped by consumers, with a log line.
   * A week: far longer than the outbox and the subscriptions take to drain any backlog a
   * Pub/Sub outage leaves (README, "Webhooks, secrets and retention").
   */
  eventMaxAgeSeconds: {
    env: ['EVENT_MAX_AGE_SECONDS'],
    schema: intFromEnv(7 * 24 * 3600, 60, 30 * 24 * 3600),
  },
  /** How long audit entries are kept (their `expiresAt`, for a Firestore TTL policy). */
  auditRetentionDays: { env: ['AUDIT_RETENTION_DAYS'], schema: intFromEnv(365, 1, 10 * 365) },
  /** How long dead letters are kept (their `expiresAt`, for a Firestore TTL policy), as long as the dead-letter topics keep theirs. */
  deadLetterRetentionDays: { env: ['DEAD_LETTER_RETENTION_DAYS'], schema: intFromEnv(7, 1, 3650) },
  /** How long notifications are kept after they were created (their `expiresAt`). */
  notificationRetentionDays: { env: ['NOTIFICATION_RETENTION_DAYS'], schema: intFromEnv(90, 1, 3650) },
} satisfies Record<string, Setting>;

/**
 * A parser for a table of settings: reads each from the first of its variables that is set,
 * validates all of them, and reports an invalid value under the variable it was read from
 * (the first declared one when unset). Pure: no caching. Feature settings (webhooks) use
 * it with tables of their own.
 */
export function settingsParser<S extends Record<string, Setting>>(settings: S, what: string) {
  const schema = z.object(
    Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, setting.schema])) as {
      [K in keyof S]: S[K]['schema'];
    },
  );
  return (env: NodeJS.ProcessEnv): z.infer<typeof schema> => {
    const variables: Record<string, string> = Object.fromEntries(
      Object.entries(settings).map(([key, setting]) => [
        key,
        setting.env.find((name) => env[name] !== undefined) ?? setting.env[0],
      ]),
    );
    const result = schema.safeParse(
      Object.fromEntries(Object.entries(variables).map(([key, name]) => [key, env[name]])),
    );
    if (!result.success) {
      const lines = result.error.issues.map((i) => {
        const key = String(i.path[0] ?? '');
        return `${variables[key] ?? key}: ${i.message}`;
      });
      throw new Error(`Invalid ${what}: ${lines.join('; ')}`);
    }
    return result.data;
  };
}

/** Reads and validates the configuration from an environment. Pure: no caching. */
export const parseConfig = settingsParser(CONFIG_SETTINGS, 'configuration');

export type Config = ReturnType<typeof parseConfig>;

let cached: Config | undefined;

/** The process configuration, read and validated on first call. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forgets the cached configuration (tests that change the environment). */
export function resetConfig(): void {
  cached = undefined;
}
