/**
 * Registering webhooks (`POST/GET/DELETE /v1/webhooks`): the URL is checked (its host
 * resolved) at registration, events only admins may receive are refused to members, the
 * secret is shown once and stored only sealed, a member sees only their own.
 */
import { randomBytes } from 'node:crypto';
import { pageOf } from '../application/cursor.ts';
import { type IdempotencyRequest, idempotent } from '../application/idempotency.ts';
import { seal } from '../application/sealing.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import type {
  CreatedWebhook,
  CreateWebhookBody,
  ListWebhooksQuery,
  Webhook,
} from '../domain/webhook.schema.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import {
  ADMIN_ONLY_EVENTS,
  MAX_WEBHOOKS_PER_USER,
  ownerQuery,
  secretOf,
  toWebhook,
  WEBHOOKS,
  type WebhookDeps,
  type WebhookDoc,
} from './webhook-store.ts';
import { checkWebhookUrl } from './webhook-url.ts';

/**
 * `POST /v1/webhooks`: checks the URL (resolving its host) and the events the caller may
 * receive, and shows the secret once: it is stored only sealed, and the `Idempotency-Key`
 * record keeps the webhook without it (a replay opens it from the webhook).
 */
export async function createWebhook(
  {
    actor: principal,
    body,
    idempotency,
  }: { actor: Principal; body: CreateWebhookBody; idempotency?: IdempotencyRequest | undefined },
  deps: Pick<Deps, 'store' | 'clock' | 'ids' | 'idempotencyTtlHours'> & WebhookDeps,
): Promise<{ webhook: CreatedWebhook; replayed: boolean }> {
  const check = await checkWebhookUrl(body.url, {
    allowLoopback: deps.webhooks.allowLoopback,
    resolve: deps.resolve,
  });
  if (!check.ok) throw validationError([{ path: 'url', reason: check.reason }]);
  const adminOnly = body.events.filter((e) => ADMIN_ONLY_EVENTS.includes(e));
  if (adminOnly.length > 0 && principal.role !== 'admin') {
    throw validationError([
      { path: 'events', reason: `only admins may subscribe to ${adminOnly.join(', ')}` },
    ]);
  }
  const secret = randomBytes(32).toString('hex');
  const sealedSecret = await seal(secret, deps.keyring);
  const outcome = await deps.store.transact(async (tx) =>
    idempotent(tx, deps, idempotency, async () => {
      // Not transactional: a burst of parallel creates may pass the cap by a few, which only
      // costs fan-out writes, never visibility.
      const existing = await deps.store.count(WEBHOOKS, [
        { field: 'ownerId', op: '==', value: principal.uid },
      ]);
      if (existing >= MAX_WEBHOOKS_PER_USER) {
        throw new AppError('WEBHOOK.LIMIT_REACHED', `At most ${MAX_WEBHOOKS_PER_USER} webhooks per account.`);
      }
      const doc: WebhookDoc = {
        id: deps.ids.newId(),
        ownerId: principal.uid,
        url: check.url.href,
        events: body.events,
        sealedSecret,
        createdAt: deps.clock.now().toISOString(),
      };
      tx.create(WEBHOOKS, doc.id, doc);
      return toWebhook(doc);
    }),
  );
  if (!outcome.replayed) return { webhook: { ...outcome.result, secret }, replayed: false };
  const stored = await deps.store.get<WebhookDoc>(WEBHOOKS, outcome.result.id);
  if (!stored || stored.data.ownerId !== principal.uid) {
    throw new AppError('WEBHOOK.NOT_FOUND', 'The webhook this key created has been deleted.');
  }
  return {
    webhook: { ...outcome.result, secret: await secretOf(stored.data, deps.keyring) },
    replayed: true,
  };
}

/** `GET /v1/webhooks`: the caller's, newest first, without secrets. */
export async function listWebhooks(
  { actor: principal, query }: { actor: Principal; query: ListWebhooksQuery },
  deps: Pick<Deps, 'store'>,
): Promise<Page<Webhook>> {
  return pageOf<WebhookDoc, Webhook>(deps.store, ownerQuery(principal.uid), query.limit, query.cursor, (d) =>
    toWebhook(d.data),
  );
}

/** `DELETE /v1/webhooks/{id}`: 404 for a webhook that is not the caller's; its pending deliveries then fail. */
export async function deleteWebhook(
  { actor: principal, id }: { actor: Principal; id: string },
  deps: Pick<Deps, 'store'>,
): Promise<void> {
  await deps.store.transact(async (tx) => {
    const doc = await tx.get<WebhookDoc>(WEBHOOKS, id);
    if (!doc || doc.data.ownerId !== principal.uid)
      throw new AppError('WEBHOOK.NOT_FOUND', 'No such webhook.');
    tx.delete(WEBHOOKS, id);
  });
}
