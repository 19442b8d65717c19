/** The versioned event envelope every Pub/Sub message carries, and where each type goes. */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.schema.ts';

export const EventTypeSchema = z.enum([
  'task.created',
  'task.updated',
  'task.deleted',
  'media.uploaded',
  'media.processed',
  'media.failed',
  'media.deleted',
  'user.registered',
]);
export type EventType = z.infer<typeof EventTypeSchema>;

export const EventEnvelopeSchema = z.object({
  id: IdSchema,
  eventType: EventTypeSchema,
  version: z.literal(1),
  timestamp: TimestampSchema,
  serviceId: z.string().min(1),
  correlationId: z.string().min(1),
  actorId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

export const TOPICS = ['task-events', 'media-events', 'user-events'] as const;
export type Topic = (typeof TOPICS)[number];

/** The topic an event type is published to. */
export function topicFor(eventType: EventType): Topic {
  const prefix = eventType.split('.')[0];
  if (prefix === 'task') return 'task-events';
  if (prefix === 'media') return 'media-events';
  return 'user-events';
}
