/**
 * How webhooks and their deliveries are kept, and the rules every webhook use case shares:
 * the delivery id of an (event, webhook) pair, the backoff, the deliver command.
 */
import { createHash } from 'node:crypto';
import { open } from '../application/sealing.ts';
import type { Command } from '../domain/command.schema.ts';
import type { EventType } from '../domain/event.schema.ts';
import type {
  DeliverCommandData,
  DeliveryAttempt,
  DeliveryStatus,
  Webhook,
} from '../domain/webhook.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { WebhookConfig } from './webhook-config.ts';
import type { Resolver } from './webhook-url.ts';

export const WEBHOOKS = 'webhooks';
export const WEBHOOK_DELIVERIES = 'webhookDeliveries';
export const DELIVER_COMMAND = 'webhook.deliver';
/** Event types only admins may subscribe to (and only admins' webhooks receive). */
export const ADMIN_ONLY_EVENTS: readonly EventType[] = ['user.registered'];
/** Bounds the writes one event's fan-out makes in one unit of work. */
export const MAX_WEBHOOKS_PER_USER = 10;

/** What webhook use cases need besides the common deps: their settings, a DNS resolver, the key that seals secrets. */
export interface WebhookDeps {
  webhooks: WebhookConfig;
  resolve: Resolver;
  keyring: Keyring;
}

/** A webhook as stored: with its owner and its secret, sealed. */
export interface WebhookDoc extends Webhook {
  [key: string]: unknown;
  ownerId: string;
  /** The signing secret as a compact JWE under the webhook keyring (`application/sealing.ts`). */
  sealedSecret: string;
  /** A secret stored in plain text before sealing; `npm run rotate-keys` seals it and removes this. */
  secret?: string;
}

/** One (event, webhook) delivery and every attempt at it. */
export interface DeliveryDoc {
  [key: string]: unknown;
  id: string;
  webhookId: string;
  ownerId: string;
  eventId: string;
  eventType: EventType;
  /** The exact body sent (and signed) on every attempt. */
  payload: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When the next command is due (the sweep's trigger); null once settled. */
  nextAttemptAt: string | null;
  /** A worker holds the delivery until then; others leave it alone. */
  leaseUntil: string | null;
  /** Why it failed without an attempt (the webhook was deleted), else null. */
  failedReason: string | null;
  createdAt: string;
  updatedAt: string;
  /** A Firestore TTL policy deletes the delivery after this (`WEBHOOK_RETENTION_DAYS` after its last change). */
  expiresAt: Date;
}

/** The expiry of a `WEBHOOK_DELIVERIES` document changed at `now`: kept that many days after its last change. */
export function retainedFrom(
  now: Date,
  config: Pick<WebhookConfig, 'deliveryRetentionDays'>,
): { expiresAt: Date } {
  return { expiresAt: new Date(now.getTime() + config.deliveryRetentionDays * 86_400_000) };
}

/** The signing secret of `webhook`: opened from its sealed form (or, before `rotate-keys` ran, the plain one). */
export async function secretOf(webhook: WebhookDoc, keyring: Keyring): Promise<string> {
  if (webhook.sealedSecret) return open(webhook.sealedSecret, keyring);
  if (typeof webhook.secret === 'string') return webhook.secret;
  throw new AppError('SECRET.UNREADABLE', 'The webhook has no secret.');
}

export function toWebhook(doc: WebhookDoc): Webhook {
  return { id: doc.id, url: doc.url, events: doc.events, createdAt: doc.createdAt };
}

export function ownerQuery(ownerId: string) {
  return {
    collection: WEBHOOKS,
    where: [{ field: 'ownerId', op: '==' as const, value: ownerId }],
    orderBy: [
      { field: 'createdAt', direction: 'desc' as const },
      { field: DOC_ID, direction: 'desc' as const },
    ],
  };
}

/** The delivery id of (envelope, webhook): the same on every fan-out of the envelope. */
export function deliveryIdOf(envelopeId: string, webhookId: string): string {
  return createHash('sha256').update(`${envelopeId}\n${webhookId}`).digest('base64url').slice(0, 24);
}

/** The wait after failed attempt `attempt` (1-based): base, 3·base, 9·base, … */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return baseMs * 3 ** (attempt - 1);
}

/** How long a dispatched command may take before the sweep sends it again. */
export function redispatchAfterMs(config: WebhookConfig): number {
  return config.timeoutMs + 60_000;
}

/** A `webhook.deliver` command for attempt `attempt` of `deliveryId`. */
export function deliverCommand(
  deps: Pick<Deps, 'clock' | 'ids'>,
  data: DeliverCommandData,
  origin: { correlationId: string; actorId: string | null },
): Command {
  return {
    id: deps.ids.newId(),
    type: DELIVER_COMMAND,
    timestamp: deps.clock.now().toISOString(),
    correlationId: origin.correlationId,
    actorId: origin.actorId,
    data: { ...data },
  };
}
