/**
 * The delivery worker: one attempt per `webhook.deliver` command. It claims the delivery
 * with a lease, opens the webhook's sealed secret, checks the URL again, POSTs the payload
 * signed with the time of the attempt, and records the attempt:
 * 2xx → `delivered`; otherwise `pending` with `nextAttemptAt` = now + base·3^(attempt−1),
 * or `failed` after the last attempt. A command names its attempt number, so a redelivered
 * or stale command is a no-op, and a settled delivery is never sent again.
 */
import type { Command } from '../domain/command.schema.ts';
import {
  DeliverCommandDataSchema,
  type DeliveryAttempt,
  type DeliveryStatus,
} from '../domain/webhook.schema.ts';
import { AppError, isAppError } from '../errors/app-error.ts';
import { logs } from '../logging/logs.ts';
import type { Deps } from '../ports/deps.ts';
import type { WebhookConfig } from './webhook-config.ts';
import {
  DELIVER_COMMAND,
  type DeliveryDoc,
  retainedFrom,
  retryDelayMs,
  secretOf,
  WEBHOOK_DELIVERIES,
  WEBHOOKS,
  type WebhookDeps,
  type WebhookDoc,
} from './webhook-store.ts';
import { postWebhook, signatureOf } from './webhook-transport.ts';
import { checkWebhookUrl } from './webhook-url.ts';

export type DeliverOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

/** `doc` settled as failed without an attempt, for `reason`. */
function failedWithout(doc: DeliveryDoc, reason: string, now: Date, config: WebhookConfig): DeliveryDoc {
  return {
    ...doc,
    status: 'failed',
    nextAttemptAt: null,
    leaseUntil: null,
    failedReason: reason,
    updatedAt: now.toISOString(),
    ...retainedFrom(now, config),
  };
}

/**
 * Handles one `webhook.deliver` command: claims the delivery, POSTs once, records the
 * attempt. A command for a settled delivery, for another attempt than the next one, or for
 * a delivery another worker holds, is acknowledged without effect.
 */
export async function deliverWebhook(
  command: Command,
  deps: Pick<Deps, 'store' | 'clock'> & WebhookDeps,
): Promise<DeliverOutcome> {
  const parsed = DeliverCommandDataSchema.safeParse(command.data);
  if (command.type !== DELIVER_COMMAND || !parsed.success) {
    throw new AppError('REQUEST.VALIDATION', 'Not a webhook.deliver command.');
  }
  const { deliveryId, attempt } = parsed.data;
  const config = deps.webhooks;
  const claimed = await deps.store.transact(async (tx) => {
    const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, deliveryId);
    if (!current) return null;
    const doc = current.data;
    const now = deps.clock.now();
    if (doc.status !== 'pending' || doc.attempts.length !== attempt - 1) return null;
    if (doc.leaseUntil && doc.leaseUntil > now.toISOString()) return null;
    const webhook = await tx.get<WebhookDoc>(WEBHOOKS, doc.webhookId);
    if (!webhook) {
      tx.set(WEBHOOK_DELIVERIES, deliveryId, failedWithout(doc, 'the webhook was deleted', now, config));
      return null;
    }
    const leased: DeliveryDoc = {
      ...doc,
      leaseUntil: new Date(now.getTime() + config.timeoutMs + 30_000).toISOString(),
      updatedAt: now.toISOString(),
    };
    tx.set(WEBHOOK_DELIVERIES, deliveryId, leased);
    return { delivery: leased, webhook: webhook.data };
  });
  if (!claimed) {
    logs.webhookSkipped(deliveryId, attempt);
    return 'skipped';
  }
  const { delivery, webhook } = claimed;
  let secret: string;
  try {
    secret = await secretOf(webhook, deps.keyring);
  } catch (error) {
    // The keyring is down: thrown, so the command comes back once the lease has run out.
    if (!isAppError(error) || error.retryable) throw error;
    await deps.store.transact(async (tx) => {
      const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, deliveryId);
      if (current?.data.status !== 'pending') return;
      const reason = 'the webhook secret cannot be opened';
      tx.set(WEBHOOK_DELIVERIES, deliveryId, failedWithout(current.data, reason, deps.clock.now(), config));
    });
    logs.webhookUnsendable(deliveryId, error.code);
    return 'failed';
  }
  const started = deps.clock.now();
  const t0 = performance.now();
  // Checked again at delivery: the host may resolve elsewhere than at registration.
  const check = await checkWebhookUrl(webhook.url, {
    allowLoopback: config.allowLoopback,
    resolve: deps.resolve,
  });
  const outcome = check.ok
    ? await postWebhook(
        check.url,
        check.addresses[0]!,
        delivery.payload,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'Taskman-Webhooks/1',
          'X-Taskman-Signature': signatureOf(
            secret,
            delivery.payload,
            Math.floor(deps.clock.now().getTime() / 1000),
          ),
          'X-Taskman-Delivery': delivery.id,
          'X-Taskman-Event': delivery.eventType,
        },
        config.timeoutMs,
      )
    : { status: null, error: `blocked: the URL ${check.reason}` };
  const tried: DeliveryAttempt = {
    at: started.toISOString(),
    status: outcome.status,
    error: outcome.error,
    durationMs: Math.max(0, Math.round(performance.now() - t0)),
  };
  const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  return deps.store.transact(async (tx) => {
    const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, deliveryId);
    // Someone else settled or advanced it (a lease that ran out): theirs stands.
    if (current?.data.status !== 'pending' || current.data.attempts.length !== attempt - 1) {
      return 'skipped' as const;
    }
    const now = deps.clock.now();
    const attempts = [...current.data.attempts, tried];
    const last = attempts.length >= config.maxAttempts;
    const status: DeliveryStatus = ok ? 'delivered' : last ? 'failed' : 'pending';
    const next: DeliveryDoc = {
      ...current.data,
      attempts,
      status,
      nextAttemptAt:
        status === 'pending'
          ? new Date(now.getTime() + retryDelayMs(attempt, config.retryBaseMs)).toISOString()
          : null,
      leaseUntil: null,
      updatedAt: now.toISOString(),
      ...retainedFrom(now, config),
    };
    tx.set(WEBHOOK_DELIVERIES, deliveryId, next);
    logs.webhookAttempted(deliveryId, attempt, outcome, status);
    return ok ? ('delivered' as const) : last ? ('failed' as const) : ('retry' as const);
  });
}
