/**
 * Webhooks: registration (`POST/GET/DELETE /v1/webhooks`), the fan-out consumer that turns
 * each event into one delivery per matching webhook, the delivery worker and the retry
 * sweep.
 *
 * Who receives what (a webhook never carries more than its owner may read through the API):
 * - `task.*`: webhooks of the task's owner and of its assignee (as of the event);
 * - `media.*`: webhooks of the media's owner;
 * - `user.registered`: webhooks of admins (the role read when the event is fanned out).
 *
 * Delivery: the fan-out writes a `webhookDeliveries` document (id derived from envelope id
 * and webhook id) and a `webhook.deliver` command in the consumer's unit of work. The worker
 * claims the delivery with a lease, POSTs, and records the attempt: 2xx → `delivered`;
 * otherwise `pending` with `nextAttemptAt` = now + base·3^(attempt−1), or `failed` after the
 * last attempt. Nothing waits in a function: the scheduled `webhookRetry` sweep sends the
 * next command for each delivery whose `nextAttemptAt` has passed (which also recovers a
 * lost command or a crashed worker, as each dispatch pushes `nextAttemptAt` past the lease).
 * A command names its attempt number, so a redelivered or stale command is a no-op, and a
 * delivered or failed delivery is never sent again.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Consumer } from '../application/consumer.ts';
import { pageOf } from '../application/cursor.ts';
import { recordCommand } from '../application/outbox.ts';
import { COMMAND_TOPICS, type Command } from '../domain/command.schema.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import type { EventEnvelope, EventType } from '../domain/event.schema.ts';
import {
  type CreatedWebhook,
  type CreateWebhookBody,
  type DeliverCommandData,
  DeliverCommandDataSchema,
  type DeliveryAttempt,
  type DeliveryStatus,
  type ListWebhooksQuery,
  type Webhook,
} from '../domain/webhook.schema.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import { logger } from '../logging/logger.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID, type Transaction } from '../ports/document-store.ts';
import { USERS } from '../stores/user-store.ts';
import type { WebhookConfig } from './webhook-config.ts';
import { postWebhook, signatureOf } from './webhook-transport.ts';
import { checkWebhookUrl, type Resolver } from './webhook-url.ts';

export const WEBHOOKS = 'webhooks';
export const WEBHOOK_DELIVERIES = 'webhookDeliveries';
export const DELIVER_COMMAND = 'webhook.deliver';
/** Bounds the writes one event's fan-out makes in one unit of work. */
export const MAX_WEBHOOKS_PER_USER = 10;
/** How many admin webhooks a `user.registered` event reaches at most. */
const MAX_ADMIN_WEBHOOKS = 100;

/** What the webhook functions need besides the deps: settings and a resolver. */
export interface WebhookRuntime {
  config: WebhookConfig;
  resolve: Resolver;
}

/** A webhook as stored: with its owner and secret. */
export interface WebhookDoc extends Webhook {
  [key: string]: unknown;
  ownerId: string;
  secret: string;
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
}

function toWebhook(doc: WebhookDoc): Webhook {
  return { id: doc.id, url: doc.url, events: doc.events, createdAt: doc.createdAt };
}

/** `POST /v1/webhooks`: checks the URL (resolving its host) and shows the secret once. */
export async function createWebhook(
  principal: Principal,
  body: CreateWebhookBody,
  deps: Pick<Deps, 'store' | 'clock' | 'ids'>,
  runtime: WebhookRuntime,
): Promise<CreatedWebhook> {
  const check = await checkWebhookUrl(body.url, {
    allowLoopback: runtime.config.allowLoopback,
    resolve: runtime.resolve,
  });
  if (!check.ok) throw validationError([{ path: 'url', reason: check.reason }]);
  // Not transactional: a burst of parallel creates may pass the cap by a few, which only
  // costs fan-out writes, never visibility.
  const existing = await deps.store.count(WEBHOOKS, [{ field: 'ownerId', op: '==', value: principal.uid }]);
  if (existing >= MAX_WEBHOOKS_PER_USER) {
    throw new AppError('WEBHOOK.LIMIT_REACHED', `At most ${MAX_WEBHOOKS_PER_USER} webhooks per account.`);
  }
  const doc: WebhookDoc = {
    id: deps.ids.newId(),
    ownerId: principal.uid,
    url: check.url.href,
    events: body.events,
    secret: randomBytes(32).toString('hex'),
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.store.transact(async (tx) => tx.create(WEBHOOKS, doc.id, doc));
  return { ...toWebhook(doc), secret: doc.secret };
}

function ownerQuery(ownerId: string) {
  return {
    collection: WEBHOOKS,
    where: [{ field: 'ownerId', op: '==' as const, value: ownerId }],
    orderBy: [
      { field: 'createdAt', direction: 'desc' as const },
      { field: DOC_ID, direction: 'desc' as const },
    ],
  };
}

/** `GET /v1/webhooks`: the caller's, newest first, without secrets. */
export async function listWebhooks(
  principal: Principal,
  query: ListWebhooksQuery,
  deps: Pick<Deps, 'store'>,
): Promise<Page<Webhook>> {
  return pageOf<WebhookDoc, Webhook>(deps.store, ownerQuery(principal.uid), query.limit, query.cursor, (d) =>
    toWebhook(d.data),
  );
}

/** `DELETE /v1/webhooks/{id}`: 404 for a webhook that is not the caller's; its pending deliveries then fail. */
export async function deleteWebhook(
  principal: Principal,
  id: string,
  deps: Pick<Deps, 'store'>,
): Promise<void> {
  await deps.store.transact(async (tx) => {
    const doc = await tx.get<WebhookDoc>(WEBHOOKS, id);
    if (!doc || doc.data.ownerId !== principal.uid)
      throw new AppError('WEBHOOK.NOT_FOUND', 'No such webhook.');
    tx.delete(WEBHOOKS, id);
  });
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;

function idOf(value: unknown): string | null {
  return typeof value === 'string' && ID.test(value) ? value : null;
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Whose webhooks may receive `envelope`: named users, or admins. Pure. */
export function audienceOf(envelope: EventEnvelope): { users: string[] } | { admins: true } {
  const prefix = envelope.eventType.split('.')[0];
  if (prefix === 'task') {
    const task = recordOf(envelope.data.task);
    const users = [idOf(task.ownerId), idOf(task.assigneeId)].filter((u): u is string => u !== null);
    return { users: [...new Set(users)] };
  }
  if (prefix === 'media') {
    const ownerId = idOf(envelope.data.ownerId);
    return { users: ownerId ? [ownerId] : [] };
  }
  return { admins: true };
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

/** Commands a unit of work recorded, to send once it has committed. */
export type PendingCommands = { topic: string; command: Command }[];

function record(tx: Transaction, pending: PendingCommands | undefined, command: Command): void {
  const topic = COMMAND_TOPICS.deliverWebhook;
  recordCommand(tx, topic, command);
  pending?.push({ topic, command });
}

/** The webhooks `envelope` goes to: subscribed to its type, owned by its audience. */
async function matchingWebhooks(
  envelope: EventEnvelope,
  tx: Transaction,
  deps: Pick<Deps, 'store'>,
): Promise<WebhookDoc[]> {
  const audience = audienceOf(envelope);
  const subscribed = (w: WebhookDoc) => w.events.includes(envelope.eventType);
  if ('users' in audience) {
    const lists = await Promise.all(
      audience.users.map((uid) =>
        deps.store.query<WebhookDoc>({ ...ownerQuery(uid), limit: MAX_WEBHOOKS_PER_USER * 2 }),
      ),
    );
    return lists
      .flat()
      .map((d) => d.data)
      .filter(subscribed);
  }
  const candidates = (
    await deps.store.query<WebhookDoc>({
      collection: WEBHOOKS,
      where: [{ field: 'events', op: 'array-contains', value: envelope.eventType }],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      limit: MAX_ADMIN_WEBHOOKS,
    })
  ).map((d) => d.data);
  const owners = [...new Set(candidates.map((w) => w.ownerId))];
  // The role now, in the unit of work: a demoted admin's webhooks stop at once.
  const users = await Promise.all(owners.map((uid) => tx.get<{ role?: unknown }>(USERS, uid)));
  const admins = new Set(owners.filter((_, i) => users[i]?.data.role === 'admin'));
  return candidates.filter((w) => admins.has(w.ownerId) && subscribed(w));
}

/**
 * The fan-out consumer (the same for every topic). `pending()` is where the commands it
 * records go, so the caller can send them after the commit; it is cleared on each run
 * because the unit of work may re-run.
 */
export function fanOutConsumer(
  pending: () => PendingCommands | undefined,
  config: () => WebhookConfig,
): Consumer {
  return {
    async apply(envelope, tx, deps) {
      const sink = pending();
      if (sink) sink.length = 0;
      const webhooks = await matchingWebhooks(envelope, tx, deps);
      const ids = webhooks.map((w) => deliveryIdOf(envelope.id, w.id));
      // Reads before writes, as a Firestore transaction wants them.
      const existing = await Promise.all(ids.map((id) => tx.get(WEBHOOK_DELIVERIES, id)));
      const now = deps.clock.now();
      const payload = JSON.stringify(envelope);
      webhooks.forEach((webhook, i) => {
        const id = ids[i]!;
        if (existing[i]) return;
        const doc: DeliveryDoc = {
          id,
          webhookId: webhook.id,
          ownerId: webhook.ownerId,
          eventId: envelope.id,
          eventType: envelope.eventType,
          payload,
          status: 'pending',
          attempts: [],
          // The first command goes out right after the commit; the sweep only re-sends it if lost.
          nextAttemptAt: new Date(now.getTime() + redispatchAfterMs(config())).toISOString(),
          leaseUntil: null,
          failedReason: null,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
        };
        tx.create(WEBHOOK_DELIVERIES, id, doc);
        record(tx, sink, deliverCommand(deps, { deliveryId: id, attempt: 1 }, envelope));
      });
    },
  };
}

export type DeliverOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

/**
 * Handles one `webhook.deliver` command: claims the delivery, POSTs once, records the
 * attempt. A command for a settled delivery, for another attempt than the next one, or for
 * a delivery another worker holds, is acknowledged without effect.
 */
export async function deliverWebhook(
  command: Command,
  deps: Pick<Deps, 'store' | 'clock'>,
  runtime: WebhookRuntime,
): Promise<DeliverOutcome> {
  const parsed = DeliverCommandDataSchema.safeParse(command.data);
  if (command.type !== DELIVER_COMMAND || !parsed.success) {
    throw new AppError('REQUEST.VALIDATION', 'Not a webhook.deliver command.');
  }
  const { deliveryId, attempt } = parsed.data;
  const { config } = runtime;
  const claimed = await deps.store.transact(async (tx) => {
    const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, deliveryId);
    if (!current) return null;
    const doc = current.data;
    const now = deps.clock.now();
    if (doc.status !== 'pending' || doc.attempts.length !== attempt - 1) return null;
    if (doc.leaseUntil && doc.leaseUntil > now.toISOString()) return null;
    const webhook = await tx.get<WebhookDoc>(WEBHOOKS, doc.webhookId);
    if (!webhook) {
      const failed: DeliveryDoc = {
        ...doc,
        status: 'failed',
        nextAttemptAt: null,
        leaseUntil: null,
        failedReason: 'the webhook was deleted',
        updatedAt: now.toISOString(),
      };
      tx.set(WEBHOOK_DELIVERIES, deliveryId, failed);
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
    logger().info(
      { event: 'webhook.skipped', deliveryId, attempt },
      'Webhook command not applicable; skipped',
    );
    return 'skipped';
  }
  const { delivery, webhook } = claimed;
  const started = deps.clock.now();
  const t0 = performance.now();
  // Checked again at delivery: the host may resolve elsewhere than at registration.
  const check = await checkWebhookUrl(webhook.url, {
    allowLoopback: config.allowLoopback,
    resolve: runtime.resolve,
  });
  const outcome = check.ok
    ? await postWebhook(
        check.url,
        check.addresses[0]!,
        delivery.payload,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'Taskman-Webhooks/1',
          'X-Taskman-Signature': signatureOf(webhook.secret, delivery.payload),
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
    };
    tx.set(WEBHOOK_DELIVERIES, deliveryId, next);
    logger().info(
      {
        event: 'webhook.attempt',
        deliveryId,
        attempt,
        status: outcome.status,
        error: outcome.error,
        result: status,
      },
      'Webhook delivery attempted',
    );
    return ok ? ('delivered' as const) : last ? ('failed' as const) : ('retry' as const);
  });
}

/**
 * The retry sweep: for each pending delivery whose `nextAttemptAt` has passed, records the
 * next attempt's command (pushing `nextAttemptAt` past the time it may take) and returns
 * the commands to send after the commits.
 */
export async function dueDeliveryCommands(
  deps: Pick<Deps, 'store' | 'clock' | 'ids'>,
  config: WebhookConfig,
  batchSize = 100,
): Promise<PendingCommands> {
  const now = deps.clock.now();
  const due = await deps.store.query<DeliveryDoc>({
    collection: WEBHOOK_DELIVERIES,
    where: [
      { field: 'status', op: '==', value: 'pending' },
      { field: 'nextAttemptAt', op: '<=', value: now.toISOString() },
    ],
    orderBy: [
      { field: 'nextAttemptAt', direction: 'asc' },
      { field: DOC_ID, direction: 'asc' },
    ],
    limit: batchSize,
  });
  const out: PendingCommands = [];
  for (const row of due) {
    const pending: PendingCommands = [];
    await deps.store.transact(async (tx) => {
      pending.length = 0;
      const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, row.id);
      if (!current) return;
      const doc = current.data;
      if (doc.status !== 'pending' || !doc.nextAttemptAt || doc.nextAttemptAt > now.toISOString()) return;
      tx.set(WEBHOOK_DELIVERIES, row.id, {
        ...doc,
        nextAttemptAt: new Date(now.getTime() + redispatchAfterMs(config)).toISOString(),
        updatedAt: now.toISOString(),
      });
      const command = deliverCommand(
        deps,
        { deliveryId: row.id, attempt: doc.attempts.length + 1 },
        { correlationId: `webhook-retry-${row.id}`, actorId: null },
      );
      record(tx, pending, command);
    });
    out.push(...pending);
  }
  return out;
}
