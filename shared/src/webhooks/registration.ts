/**
 * Registering webhooks (`POST/GET/DELETE /v1/webhooks`): the URL is checked (its host
 * resolved) at registration, the secret is shown once, a member sees only their own.
 */
import { randomBytes } from 'node:crypto';
import { pageOf } from '../application/cursor.ts';
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
  MAX_WEBHOOKS_PER_USER,
  ownerQuery,
  toWebhook,
  WEBHOOKS,
  type WebhookDeps,
  type WebhookDoc,
} from './webhook-store.ts';
import { checkWebhookUrl } from './webhook-url.ts';

/** `POST /v1/webhooks`: checks the URL (resolving its host) and shows the secret once. */
export async function createWebhook(
  { actor: principal, body }: { actor: Principal; body: CreateWebhookBody },
  deps: Pick<Deps, 'store' | 'clock' | 'ids'> & WebhookDeps,
): Promise<CreatedWebhook> {
  const check = await checkWebhookUrl(body.url, {
    allowLoopback: deps.webhooks.allowLoopback,
    resolve: deps.resolve,
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
