/**
 * The webhook settings, read from the environment on first use and validated: loopback
 * receivers (`WEBHOOKS_ALLOW_LOOPBACK`, only the local stacks set it), the per-attempt
 * timeout, how many attempts a delivery gets, the backoff's first step, how long delivery
 * records are kept, and where the keys that seal secrets are. Kept apart from
 * the main configuration so the webhook feature owns its knobs.
 */
import { z } from 'zod';
import { intFromEnv as int, type Setting, settingsParser } from '../config/config.ts';

/** The Secret Manager secret that holds the webhook keys (the manifest grants access to it). */
export const WEBHOOK_KEYS_SECRET = 'webhook-keys';

/** The webhook settings, each declared once with its variable. */
export const WEBHOOK_SETTINGS = {
  allowLoopback: {
    env: ['WEBHOOKS_ALLOW_LOOPBACK'],
    schema: z
      .enum(['true', 'false', '1', '0', ''])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
  },
  timeoutMs: { env: ['WEBHOOK_TIMEOUT_MS'], schema: int(5_000, 100, 60_000) },
  maxAttempts: { env: ['WEBHOOK_MAX_ATTEMPTS'], schema: int(6, 1, 20) },
  /** The wait after the first failed attempt; each later wait is 3 times the one before. */
  retryBaseMs: { env: ['WEBHOOK_RETRY_BASE_MS'], schema: int(10_000, 10, 3_600_000) },
  /** How long a delivery record is kept after its last change (a Firestore TTL policy on `expiresAt`). */
  deliveryRetentionDays: { env: ['WEBHOOK_RETENTION_DAYS'], schema: int(30, 1, 3650) },
  /** Secret Manager secret whose versions seal webhook secrets (`kid` = version number). */
  keysSecret: {
    env: ['WEBHOOK_KEYS_SECRET'],
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/)
      .default(WEBHOOK_KEYS_SECRET),
  },
  /** Local stacks only: a key file standing in for that secret (`dev/` creates it). */
  keysFile: { env: ['WEBHOOK_KEYS_FILE'], schema: z.string().min(1).optional() },
} satisfies Record<string, Setting>;

/** Reads and validates the webhook settings of `env`. Pure. */
export const parseWebhookConfig = settingsParser(WEBHOOK_SETTINGS, 'webhook configuration');

export type WebhookConfig = ReturnType<typeof parseWebhookConfig>;

let cached: WebhookConfig | undefined;

/** The process's webhook settings, read on first call. */
export function webhookConfig(): WebhookConfig {
  cached ??= parseWebhookConfig(process.env);
  return cached;
}

/** Forgets the cached settings (tests that change the environment). */
export function resetWebhookConfig(): void {
  cached = undefined;
}
