/**
 * The webhook settings, read from the environment on first use and validated: loopback
 * receivers (`WEBHOOKS_ALLOW_LOOPBACK`, only the local stacks set it), the per-attempt
 * timeout, how many attempts a delivery gets and the backoff's first step. Kept apart from
 * the main configuration so the webhook feature owns its knobs.
 */
import { z } from 'zod';

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const WebhookConfigSchema = z.object({
  allowLoopback: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  timeoutMs: int(5_000, 100, 60_000),
  maxAttempts: int(6, 1, 20),
  /** The wait after the first failed attempt; each later wait is 3 times the one before. */
  retryBaseMs: int(10_000, 10, 3_600_000),
});

export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

const NAMES: Record<string, string> = {
  allowLoopback: 'WEBHOOKS_ALLOW_LOOPBACK',
  timeoutMs: 'WEBHOOK_TIMEOUT_MS',
  maxAttempts: 'WEBHOOK_MAX_ATTEMPTS',
  retryBaseMs: 'WEBHOOK_RETRY_BASE_MS',
};

/** Reads and validates the webhook settings of `env`. Pure. */
export function parseWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  const result = WebhookConfigSchema.safeParse({
    allowLoopback: env.WEBHOOKS_ALLOW_LOOPBACK,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
  });
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${NAMES[String(i.path[0])] ?? ''}: ${i.message}`);
    throw new Error(`Invalid webhook configuration: ${lines.join('; ')}`);
  }
  return result.data;
}

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
