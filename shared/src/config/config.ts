/**
 * Configuration, one typed object read from the environment on first use and validated
 * with zod. Importing this module reads nothing; a bad value fails the first request
 * (and the dev host's start) with a message naming the variable.
 */
import { z } from 'zod';

const intFromEnv = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const ConfigSchema = z.object({
  projectId: z.string().min(1),
  serviceId: z.string().min(1).default('taskman'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Web API key used for the Identity Toolkit REST endpoints (sign-in, refresh). */
  firebaseApiKey: z.string().min(1).default('demo-api-key'),
  authEmulatorHost: z.string().optional(),
  firestoreEmulatorHost: z.string().optional(),
  pubsubEmulatorHost: z.string().optional(),
  /** Base URL of the local storage emulator, e.g. `http://127.0.0.1:9199`. */
  storageEmulatorHost: z.string().optional(),
  /** A service-account key file to sign URLs with locally (the cloud signs through IAM). */
  storageSigningKeyFile: z.string().optional(),
  /** Largest JSON body a function accepts, in bytes. */
  maxJsonBodyBytes: intFromEnv(256 * 1024, 1024, 32 * 1024 * 1024),
  /** Requests per user per minute before 429 (per instance); 0 turns the limiter off. */
  rateLimitPerMinute: intFromEnv(600, 0, 1_000_000),
  idempotencyTtlHours: intFromEnv(24, 1, 24 * 30),
  /** Allowed CORS origins, comma separated; `*` allows any. */
  corsOrigins: z
    .string()
    .default('*')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** Timeout for every outbound call made with fetch, in milliseconds. */
  outboundTimeoutMs: intFromEnv(10_000, 100, 120_000),
  /** Events older than this (by envelope timestamp) are dropped by consumers, with a log line. */
  eventMaxAgeSeconds: intFromEnv(24 * 3600, 60, 30 * 24 * 3600),
  /** How long audit entries are kept (their `expiresAt`, for a Firestore TTL policy). */
  auditRetentionDays: intFromEnv(365, 1, 10 * 365),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Reads and validates the configuration from an environment. Pure: no caching. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = ConfigSchema.safeParse({
    projectId: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? env.GCP_PROJECT,
    serviceId: env.K_SERVICE ?? env.SERVICE_ID,
    logLevel: env.LOG_LEVEL,
    firebaseApiKey: env.FIREBASE_API_KEY,
    authEmulatorHost: env.FIREBASE_AUTH_EMULATOR_HOST,
    firestoreEmulatorHost: env.FIRESTORE_EMULATOR_HOST,
    pubsubEmulatorHost: env.PUBSUB_EMULATOR_HOST,
    storageEmulatorHost: env.STORAGE_EMULATOR_HOST,
    storageSigningKeyFile: env.STORAGE_SIGNING_KEY_FILE,
    maxJsonBodyBytes: env.MAX_JSON_BODY_BYTES,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    idempotencyTtlHours: env.IDEMPOTENCY_TTL_HOURS,
    corsOrigins: env.CORS_ORIGINS,
    outboundTimeoutMs: env.OUTBOUND_TIMEOUT_MS,
    eventMaxAgeSeconds: env.EVENT_MAX_AGE_SECONDS,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
  });
  if (!result.success) {
    const names: Record<string, string> = {
      projectId: 'GOOGLE_CLOUD_PROJECT',
      logLevel: 'LOG_LEVEL',
      maxJsonBodyBytes: 'MAX_JSON_BODY_BYTES',
      rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
      idempotencyTtlHours: 'IDEMPOTENCY_TTL_HOURS',
      outboundTimeoutMs: 'OUTBOUND_TIMEOUT_MS',
      eventMaxAgeSeconds: 'EVENT_MAX_AGE_SECONDS',
      auditRetentionDays: 'AUDIT_RETENTION_DAYS',
    };
    const lines = result.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      return `${names[key] ?? key}: ${i.message}`;
    });
    throw new Error(`Invalid configuration: ${lines.join('; ')}`);
  }
  return result.data;
}

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
