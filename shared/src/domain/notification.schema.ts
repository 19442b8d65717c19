/** In-app notifications, as `GET /v1/notifications` returns them (API.md). */
import { z } from 'zod';
import { EntityTypeSchema } from './audit.schema.ts';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.schema.ts';

export const NotificationTypeSchema = z.enum([
  'welcome',
  'task.assigned',
  'task.status_changed',
  'media.ready',
  'media.failed',
]);
export type NotificationType = z.infer<typeof NotificationTypeSchema>;

export const NotificationSchema = z.object({
  id: IdSchema,
  userId: IdSchema,
  type: NotificationTypeSchema,
  title: z.string(),
  body: z.string(),
  entityType: EntityTypeSchema,
  entityId: IdSchema,
  read: z.boolean(),
  createdAt: TimestampSchema,
});
export type Notification = z.infer<typeof NotificationSchema>;

/** `?unread=true` lists only unread notifications; `limit` and `cursor` page. */
export const ListNotificationsQuerySchema = PageQuerySchema.extend({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type ListNotificationsQuery = z.infer<typeof ListNotificationsQuerySchema>;

export const NotificationIdParamsSchema = z.strictObject({ id: IdSchema });
