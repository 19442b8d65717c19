/**
 * The versioned event envelope every Pub/Sub message carries: one envelope per event type,
 * keyed on `eventType`, each with its own `data` schema, and where each type goes.
 *
 * Data schemas keep fields they do not know (a newer producer may add some, and the audit
 * trail keeps the data as it came) but require the fields consumers rely on.
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.schema.ts';
import { VariantSchema } from './media.schema.ts';
import { TaskSchema } from './task.schema.ts';

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

/** The field naming what an event is about; its absence reads as such in a dead letter. */
function subject<T extends z.ZodType>(schema: T): T {
  const error: z.core.$ZodErrorMap = (issue) =>
    issue.input === undefined ? 'the event names no entity it is about' : undefined;
  return schema.clone({ ...schema.def, error });
}

const TaskData = TaskSchema.loose();
const VariantData = VariantSchema.loose();
const MediaId = subject(IdSchema);

/** The data of each event type. */
export const EVENT_DATA_SCHEMAS = {
  'task.created': z.looseObject({ task: subject(TaskData) }).describe('A task was created.'),
  'task.updated': z
    .looseObject({
      task: subject(TaskData),
      changedFields: z.array(z.string()),
      previous: TaskSchema.partial().loose(),
    })
    .describe('A task changed: the task as it is now, the fields that changed, and their previous values.'),
  'task.deleted': z.looseObject({ task: subject(TaskData) }).describe('A task was deleted, as it was.'),
  'media.uploaded': z
    .looseObject({
      mediaId: MediaId,
      ownerId: IdSchema,
      bucket: z.string(),
      object: z.string(),
      generation: z.string(),
      size: z.number().int(),
    })
    .describe('A new upload (a new object generation) arrived and is being processed.'),
  'media.processed': z
    .looseObject({
      mediaId: MediaId,
      ownerId: IdSchema,
      width: z.number().int().optional(),
      height: z.number().int().optional(),
      variants: z.array(VariantData).optional(),
      optimized: VariantData.optional(),
    })
    .describe(
      'An upload is ready (`width`, `height`, `variants`), or an optimized variant asked for is ready (`optimized`).',
    ),
  'media.failed': z
    .looseObject({ mediaId: MediaId, ownerId: IdSchema, reason: z.string() })
    .describe('An upload could not be processed, with a reason a person can read.'),
  'media.deleted': z
    .looseObject({ mediaId: MediaId, ownerId: IdSchema, taskIds: z.array(IdSchema) })
    .describe('A media item was deleted, and detached from these tasks.'),
  'user.registered': z
    .looseObject({
      userId: subject(IdSchema),
      email: z.string().optional(),
      displayName: z.string().optional(),
    })
    .describe('An account was registered.'),
} as const satisfies Record<EventType, z.ZodType>;

/** The data of a `T` event. */
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;

/** The schema of a `T` event's envelope: the common fields, `eventType` `T` and its data. */
export function eventEnvelopeSchema<T extends EventType>(eventType: T) {
  return z.object({
    id: IdSchema,
    eventType: z.literal(eventType),
    version: z.literal(1),
    timestamp: TimestampSchema,
    serviceId: z.string().min(1),
    correlationId: z.string().min(1),
    actorId: z.string().nullable(),
    data: EVENT_DATA_SCHEMAS[eventType],
  });
}

export const EventEnvelopeSchema = z.discriminatedUnion('eventType', [
  eventEnvelopeSchema('task.created'),
  eventEnvelopeSchema('task.updated'),
  eventEnvelopeSchema('task.deleted'),
  eventEnvelopeSchema('media.uploaded'),
  eventEnvelopeSchema('media.processed'),
  eventEnvelopeSchema('media.failed'),
  eventEnvelopeSchema('media.deleted'),
  eventEnvelopeSchema('user.registered'),
]);
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;
/** The envelope of a `T` event. */
export type EventOf<T extends EventType> = Extract<EventEnvelope, { eventType: T }>;

/**
 * Whether `envelope.data` has its type's shape: always so for an envelope read through
 * `EventEnvelopeSchema`; pure rules that may be handed one built otherwise check with this.
 */
export function isWellFormed(envelope: EventEnvelope): boolean {
  return EVENT_DATA_SCHEMAS[envelope.eventType].safeParse(envelope.data).success;
}

export const TOPICS = ['task-events', 'media-events', 'user-events'] as const;
export type Topic = (typeof TOPICS)[number];

/** The topic an event type is published to. */
export function topicFor(eventType: EventType): Topic {
  const prefix = eventType.split('.')[0];
  if (prefix === 'task') return 'task-events';
  if (prefix === 'media') return 'media-events';
  return 'user-events';
}
