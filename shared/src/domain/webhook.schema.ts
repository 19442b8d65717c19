/**
 * Webhooks as the API shows them (API.md "Notifications, webhooks, audit"), the delivery
 * record each (event, webhook) pair gets, and the `webhook.deliver` command's data.
 */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.schema.ts';
import { EventTypeSchema } from './event.schema.ts';

/** Long enough for any real endpoint; short enough to keep documents and logs small. */
export const WEBHOOK_URL_MAX = 2048;

export const CreateWebhookBodySchema = z.strictObject({
  // Scheme, credentials and addresses are checked by the use case (it must resolve the host).
  url: z.string().min(1).max(WEBHOOK_URL_MAX),
  events: z
    .array(EventTypeSchema)
    .min(1)
    .max(EventTypeSchema.options.length)
    .refine((events) => new Set(events).size === events.length, 'must not repeat an event type'),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBodySchema>;

/** A webhook as listed: never its secret. */
export const WebhookSchema = z.object({
  id: IdSchema,
  url: z.string(),
  events: z.array(EventTypeSchema),
  createdAt: TimestampSchema,
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** The answer to `POST /v1/webhooks`: the only time the secret is shown. */
export const CreatedWebhookSchema = WebhookSchema.extend({ secret: z.string() });
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;

export const WebhookIdParamsSchema = z.strictObject({ id: IdSchema });
export const ListWebhooksQuerySchema = PageQuerySchema;
export type ListWebhooksQuery = z.infer<typeof ListWebhooksQuerySchema>;

/** One try of a delivery: the HTTP status (null when none came back) or the error. */
export const DeliveryAttemptSchema = z.object({
  at: TimestampSchema,
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().min(0),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** `webhook.deliver`: try delivery `deliveryId` for the `attempt`-th time. */
export const DeliverCommandDataSchema = z.strictObject({
  deliveryId: IdSchema,
  attempt: z.number().int().min(1).max(100),
});
export type DeliverCommandData = z.infer<typeof DeliverCommandDataSchema>;
