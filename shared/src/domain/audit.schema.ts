/** The audit trail: one entry per event, as `GET /v1/audit` returns it (API.md). */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.schema.ts';
import { EventTypeSchema } from './event.schema.ts';

/** What an event (and a notification) is about. */
export const EntityTypeSchema = z.enum(['task', 'media', 'user']);
export type EntityType = z.infer<typeof EntityTypeSchema>;

export const AuditEntrySchema = z.object({
  id: IdSchema,
  eventId: IdSchema,
  eventType: EventTypeSchema,
  entityType: EntityTypeSchema,
  entityId: IdSchema,
  actorId: z.string().nullable(),
  correlationId: z.string(),
  occurredAt: TimestampSchema,
  data: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** `?entityType&entityId&actorId&limit&cursor`, every filter optional. */
export const ListAuditQuerySchema = PageQuerySchema.extend({
  entityType: EntityTypeSchema.optional(),
  entityId: IdSchema.optional(),
  actorId: IdSchema.optional(),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuerySchema>;
