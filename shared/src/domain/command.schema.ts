/**
 * Commands: work one function asks another to do later (for example rendering an optimized
 * variant), sent through Pub/Sub with the same reliability as events (the outbox), but on
 * their own topics and never part of the public event contract.
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.schema.ts';

export const CommandSchema = z.object({
  id: IdSchema,
  type: z.string().min(1).max(100),
  timestamp: TimestampSchema,
  correlationId: z.string().min(1),
  actorId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type Command = z.infer<typeof CommandSchema>;

export const OptimizeCommandDataSchema = z.strictObject({
  mediaId: IdSchema,
  format: z.enum(['webp', 'avif', 'jpeg']),
  quality: z.number().int().min(1).max(100),
  maxWidth: z.number().int().min(16).max(8192).nullable(),
});

/** Topics commands travel on. */
export const COMMAND_TOPICS = {
  optimizeMedia: 'media-optimize',
  deliverWebhook: 'webhook-deliveries',
} as const;
