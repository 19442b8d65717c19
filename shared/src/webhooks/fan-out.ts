/**
 * The fan-out consumer: each event becomes one delivery per matching webhook, with its
 * first `webhook.deliver` command, in the consumer's unit of work (once per event).
 *
 * Who receives what (a webhook never carries more than its owner may read through the API):
 * - `task.*`: webhooks of the task's owner and of its assignee (as of the event);
 * - `media.*`: webhooks of the media's owner;
 * - `user.registered`: webhooks of every admin (the role read in the fan-out's unit of work,
 *   so a demoted admin's webhooks stop at once).
 */
import { forEachPage } from '../application/bounded.ts';
import type { Consumer } from '../application/consumer.ts';
import { COMMAND_TOPICS } from '../domain/command.schema.ts';
import type { EventEnvelope } from '../domain/event.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID, type Transaction } from '../ports/document-store.ts';
import { USERS } from '../stores/user-store.ts';
import type { WebhookConfig } from './webhook-config.ts';
import {
  type DeliveryDoc,
  deliverCommand,
  deliveryIdOf,
  MAX_WEBHOOKS_PER_USER,
  ownerQuery,
  redispatchAfterMs,
  retainedFrom,
  WEBHOOK_DELIVERIES,
  type WebhookDoc,
} from './webhook-store.ts';

/** How many admins one query of the admin fan-out reads; it pages until none are left. */
const ADMIN_PAGE = 100;

/** Whose webhooks may receive `envelope`: named users, or admins. Pure. */
export function audienceOf(envelope: EventEnvelope): { users: string[] } | { admins: true } {
  switch (envelope.eventType) {
    case 'task.created':
    case 'task.updated':
    case 'task.deleted': {
      const { ownerId, assigneeId } = envelope.data.task;
      return { users: [...new Set(assigneeId ? [ownerId, assigneeId] : [ownerId])] };
    }
    case 'media.uploaded':
    case 'media.processed':
    case 'media.failed':
    case 'media.deleted':
      return { users: [envelope.data.ownerId] };
    case 'user.registered':
      return { admins: true };
  }
}

/**
 * Every admin, paged to exhaustion, then their role again in the unit of work: a demotion
 * committed since the query stops their webhooks at once. Admins are read by role, never
 * through webhooks, so however many webhooks members have, none pushes an admin's out.
 */
async function currentAdmins(tx: Transaction, deps: Pick<Deps, 'store'>): Promise<string[]> {
  const ids: string[] = [];
  const admins = {
    collection: USERS,
    where: [{ field: 'role', op: '==' as const, value: 'admin' }],
    orderBy: [{ field: DOC_ID, direction: 'asc' as const }],
  };
  await forEachPage(
    deps.store,
    admins,
    ADMIN_PAGE,
    () => true,
    async (page) => {
      ids.push(...page.map((d) => d.id));
      return true;
    },
  );
  const users = await Promise.all(ids.map((uid) => tx.get<{ role?: unknown }>(USERS, uid)));
  return ids.filter((_, i) => users[i]?.data.role === 'admin');
}

/** The webhooks `envelope` goes to: subscribed to its type, owned by its audience. */
async function matchingWebhooks(
  envelope: EventEnvelope,
  tx: Transaction,
  deps: Pick<Deps, 'store'>,
): Promise<WebhookDoc[]> {
  const audience = audienceOf(envelope);
  const owners = 'users' in audience ? audience.users : await currentAdmins(tx, deps);
  const lists = await Promise.all(
    owners.map((uid) =>
      deps.store.query<WebhookDoc>({ ...ownerQuery(uid), limit: MAX_WEBHOOKS_PER_USER * 2 }),
    ),
  );
  return lists
    .flat()
    .map((d) => d.data)
    .filter((w) => w.events.includes(envelope.eventType));
}

/**
 * The fan-out consumer (the same for every topic). Its deliveries and their first commands
 * are written and emitted in the consumer's unit of work; the commands go out after the
 * commit, and the sweep re-sends any that are lost.
 */
export function fanOutConsumer(config: () => WebhookConfig): Consumer {
  return {
    async apply(envelope, tx, deps, emit) {
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
          ...retainedFrom(now, config()),
        };
        tx.create(WEBHOOK_DELIVERIES, id, doc);
        emit.command(
          COMMAND_TOPICS.deliverWebhook,
          deliverCommand(deps, { deliveryId: id, attempt: 1 }, envelope),
        );
      });
    },
  };
}
