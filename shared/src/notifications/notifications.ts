/**
 * In-app notifications: the rules deciding who hears of which event (`notificationsFor`,
 * pure), the consumer that writes them (each under an id derived from the envelope id,
 * recipient and type, created only if absent, so a repeat cannot make a second one even
 * without the consumer wrapper, and kept `NOTIFICATION_RETENTION_DAYS` through its
 * `expiresAt`, a Firestore TTL policy), and the caller's list / mark-read use cases.
 */
import { createHash } from 'node:crypto';
import type { Consumer } from '../application/consumer.ts';
import { pageOf } from '../application/cursor.ts';
import { config } from '../config/config.ts';
import type { EntityType } from '../domain/audit.schema.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import { type EventEnvelope, isWellFormed } from '../domain/event.schema.ts';
import type {
  ListNotificationsQuery,
  Notification,
  NotificationType,
} from '../domain/notification.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID, type Where } from '../ports/document-store.ts';

export const NOTIFICATIONS = 'notifications';

/** A notification an event asks for, before it has an id and a time. */
export interface NotificationDraft {
  userId: string;
  type: NotificationType;
  title: string;
  body: string;
  entityType: EntityType;
  entityId: string;
}

/** The short form of a title in a notification body. */
function quoted(title: string): string {
  return title.length > 80 ? `"${title.slice(0, 79)}…"` : `"${title}"`;
}

/**
 * Who is told what of `envelope`:
 * - `user.registered`: the new user, welcome;
 * - `task.created` with an assignee, or `task.updated` whose `changedFields` include
 *   `assigneeId`: the (new) assignee, unless they did it themselves;
 * - `task.updated` whose `changedFields` include `status`, by someone other than the owner:
 *   the owner;
 * - `media.processed` / `media.failed`: the media's owner.
 * An envelope whose data does not have its type's shape asks for nothing.
 */
export function notificationsFor(envelope: EventEnvelope): NotificationDraft[] {
  if (!isWellFormed(envelope)) return [];
  const actor = envelope.actorId;
  switch (envelope.eventType) {
    case 'user.registered': {
      const { userId, displayName } = envelope.data;
      return [
        {
          userId,
          type: 'welcome',
          title: 'Welcome to Taskman',
          body: displayName ? `Hello ${displayName}, your account is ready.` : 'Your account is ready.',
          entityType: 'user',
          entityId: userId,
        },
      ];
    }
    case 'task.created':
    case 'task.updated': {
      const { task } = envelope.data;
      const changed: string[] = envelope.eventType === 'task.updated' ? envelope.data.changedFields : [];
      const drafts: NotificationDraft[] = [];
      const assigned = envelope.eventType === 'task.created' || changed.includes('assigneeId');
      if (assigned && task.assigneeId && task.assigneeId !== actor) {
        drafts.push({
          userId: task.assigneeId,
          type: 'task.assigned',
          title: 'A task was assigned to you',
          body: `You were assigned ${quoted(task.title)}.`,
          entityType: 'task',
          entityId: task.id,
        });
      }
      if (envelope.eventType === 'task.updated' && changed.includes('status') && actor !== task.ownerId) {
        const previous = envelope.data.previous.status;
        drafts.push({
          userId: task.ownerId,
          type: 'task.status_changed',
          title: 'The status of your task changed',
          body: previous
            ? `${quoted(task.title)} moved from ${previous} to ${task.status}.`
            : `${quoted(task.title)} is now ${task.status}.`,
          entityType: 'task',
          entityId: task.id,
        });
      }
      return drafts;
    }
    case 'media.failed': {
      const { mediaId, ownerId, reason } = envelope.data;
      return [
        {
          userId: ownerId,
          type: 'media.failed',
          title: 'Your upload could not be processed',
          body: reason ? `Processing failed: ${reason.slice(0, 200)}` : 'Processing failed.',
          entityType: 'media',
          entityId: mediaId,
        },
      ];
    }
    case 'media.processed': {
      const { mediaId, ownerId } = envelope.data;
      const optimized = envelope.data.optimized !== undefined;
      return [
        {
          userId: ownerId,
          type: 'media.ready',
          title: optimized ? 'Your optimized image is ready' : 'Your upload is ready',
          body: optimized ? 'The optimized variant you asked for is ready.' : 'Its thumbnails are ready.',
          entityType: 'media',
          entityId: mediaId,
        },
      ];
    }
    default:
      return [];
  }
}

/** The notification id of (envelope, recipient, type): the same on every delivery. */
export function notificationId(envelopeId: string, userId: string, type: NotificationType): string {
  return createHash('sha256').update(`${envelopeId}\n${userId}\n${type}`).digest('base64url').slice(0, 24);
}

/** A notification as stored: with the time a Firestore TTL policy deletes it after. */
export type NotificationDoc = Notification & { expiresAt: Date };

/** The notification as API.md shows it (no storage fields). */
function toNotification(doc: NotificationDoc): Notification {
  const { expiresAt: _expiresAt, ...notification } = doc;
  return notification;
}

/** The notifications consumer (the same for every topic); each is kept `retentionDays` after its event. */
export function notifyConsumer(
  retentionDays: () => number = () => config().notificationRetentionDays,
): Consumer {
  return {
    async apply(envelope, tx) {
      const drafts = notificationsFor(envelope);
      const ids = drafts.map((d) => notificationId(envelope.id, d.userId, d.type));
      // Reads before writes, as a Firestore transaction wants them.
      const existing = await Promise.all(ids.map((id) => tx.get(NOTIFICATIONS, id)));
      drafts.forEach((draft, i) => {
        const id = ids[i]!;
        if (existing[i]) return;
        const doc: NotificationDoc = {
          id,
          ...draft,
          read: false,
          createdAt: envelope.timestamp,
          expiresAt: new Date(Date.parse(envelope.timestamp) + retentionDays() * 86_400_000),
        };
        tx.create(NOTIFICATIONS, id, doc);
      });
    },
  };
}

function userWhere(principal: Principal, unreadOnly: boolean): Where[] {
  const where: Where[] = [{ field: 'userId', op: '==', value: principal.uid }];
  if (unreadOnly) where.push({ field: 'read', op: '==', value: false });
  return where;
}

const NEWEST_FIRST = [
  { field: 'createdAt', direction: 'desc' },
  { field: DOC_ID, direction: 'desc' },
] as const;

/** `GET /v1/notifications`: the caller's, newest first, only unread with `unread=true`. */
export async function listNotifications(
  req: { actor: Principal; query: ListNotificationsQuery },
  deps: Pick<Deps, 'store'>,
): Promise<Page<Notification>> {
  const { actor, query } = req;
  return pageOf<NotificationDoc, Notification>(
    deps.store,
    {
      collection: NOTIFICATIONS,
      where: userWhere(actor, query.unread === true),
      orderBy: [...NEWEST_FIRST],
    },
    query.limit,
    query.cursor,
    (doc) => toNotification(doc.data),
  );
}

/** `POST /v1/notifications/{id}/read`: 404 for a notification that is not the caller's. */
export async function markRead(
  req: { actor: Principal; id: string },
  deps: Pick<Deps, 'store'>,
): Promise<void> {
  await deps.store.transact(async (tx) => {
    const doc = await tx.get<Notification>(NOTIFICATIONS, req.id);
    if (!doc || doc.data.userId !== req.actor.uid) {
      throw new AppError('NOTIFICATION.NOT_FOUND', 'No such notification.');
    }
    if (!doc.data.read) tx.set(NOTIFICATIONS, req.id, { ...doc.data, read: true });
  });
}

/** Unit-of-work size for `markAllRead` (Firestore allows 500 writes per transaction). */
const READ_ALL_BATCH = 200;

/** `POST /v1/notifications/read-all`: every unread notification of the caller, in batches. */
export async function markAllRead(req: { actor: Principal }, deps: Pick<Deps, 'store'>): Promise<void> {
  for (;;) {
    const unread = await deps.store.query<Notification>({
      collection: NOTIFICATIONS,
      where: userWhere(req.actor, true),
      orderBy: [...NEWEST_FIRST],
      limit: READ_ALL_BATCH,
    });
    if (unread.length === 0) return;
    await deps.store.transact(async (tx) => {
      const current = await Promise.all(unread.map((n) => tx.get<Notification>(NOTIFICATIONS, n.id)));
      for (const doc of current) {
        if (doc && !doc.data.read && doc.data.userId === req.actor.uid) {
          tx.set(NOTIFICATIONS, doc.id, { ...doc.data, read: true });
        }
      }
    });
    if (unread.length < READ_ALL_BATCH) return;
  }
}
