/**
 * The catalogue of log lines: each message is a named function, so wording stays
 * consistent and tests can assert on `event` names.
 */
import { logger } from './logger.ts';

export const logs = {
  requestCompleted(method: string, path: string, status: number, latencyMs: number): void {
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    logger()[level](
      {
        event: 'request.completed',
        httpRequest: {
          requestMethod: method,
          requestUrl: path,
          status,
          latency: `${(latencyMs / 1000).toFixed(3)}s`,
        },
      },
      `${method} ${path} ${status}`,
    );
  },
  unexpectedError(error: unknown): void {
    logger().error({ event: 'request.failed', err: error }, 'Unexpected error while handling the request');
  },
  dependencyDown(dependency: string, error: unknown): void {
    logger().error(
      { event: 'dependency.unavailable', dependency, err: error },
      `Dependency unavailable: ${dependency}`,
    );
  },
  eventPublished(eventType: string, eventId: string, topic: string): void {
    logger().info({ event: 'event.published', eventType, eventId, topic }, `Published ${eventType}`);
  },
  eventPublishDeferred(eventId: string, error: unknown): void {
    logger().warn(
      { event: 'event.publish_deferred', eventId, err: error },
      'Publishing failed; the outbox relay will retry',
    );
  },
  outboxRelayed(count: number): void {
    logger().info({ event: 'outbox.relayed', count }, `Relayed ${count} outbox event(s)`);
  },
  /** Firestore refused a value of a request (INVALID_ARGUMENT): answered 400, logged in case it is ours. */
  storeRefusedValue(what: string, error: unknown): void {
    logger().warn(
      { event: 'store.value_refused', what, err: error },
      `The database refused a value (${what})`,
    );
  },
  compensationFailed(what: string, error: unknown): void {
    logger().error({ event: 'compensation.failed', what, err: error }, `Compensation failed: ${what}`);
  },
  /** An event function failed retryably: the error is thrown and the platform retries. */
  eventRetrying(fields: Record<string, unknown>, error: unknown): void {
    logger().error(
      { event: 'event.retry', ...fields, err: error },
      'Event handling failed; the platform will retry',
    );
  },
  /** An event function failed for good: the event is acknowledged, never retried. */
  eventDropped(fields: Record<string, unknown>, error: unknown): void {
    logger().error({ event: 'event.dropped', ...fields, err: error }, 'Event handling failed; not retryable');
  },
  notStorageObjectEvent(ceId: string): void {
    logger().error({ event: 'event.dropped', ceId }, 'Not a storage object event; dropped');
  },
  eventDeadLettered(consumer: string, messageId: string, reason: string, code: string | null): void {
    logger().error(
      { event: 'event.dead_lettered', consumer, messageId, reason, code },
      'Event dead-lettered; acknowledged',
    );
  },
  eventExpired(consumer: string, eventId: string, eventType: string, occurredAt: string): void {
    logger().warn(
      { event: 'event.expired', consumer, eventId, eventType, occurredAt },
      'Event older than the cut-off; dropped',
    );
  },
  eventDuplicate(consumer: string, eventId: string): void {
    logger().info({ event: 'event.duplicate', consumer, eventId }, 'Event already applied; skipped');
  },
  eventApplied(consumer: string, eventId: string, eventType: string): void {
    logger().info({ event: 'event.applied', consumer, eventId, eventType }, 'Event applied');
  },
  /** The outcome of the media pipeline for one upload (`outcome`, `reason` feed log-based metrics). */
  mediaPipeline(object: string, generation: string, result: { outcome: string }): void {
    logger().info({ event: 'media.pipeline', object, generation, ...result }, `Upload ${result.outcome}`);
  },
  quarantineCopyFailed(object: string, error: unknown): void {
    logger().warn({ event: 'media.quarantine_failed', err: error, object }, 'Quarantine copy failed');
  },
  mediaObjectOrphaned(object: string, error: unknown): void {
    logger().error(
      { event: 'media.orphaned', err: error, object },
      'Could not delete a media object; it is orphaned',
    );
  },
  webhookSkipped(deliveryId: string, attempt: number): void {
    logger().info(
      { event: 'webhook.skipped', deliveryId, attempt },
      'Webhook command not applicable; skipped',
    );
  },
  /** A delivery that cannot be signed (its sealed secret does not open): failed without an attempt. */
  webhookUnsendable(deliveryId: string, code: string): void {
    logger().error(
      { event: 'webhook.unsendable', deliveryId, code },
      'Webhook secret cannot be opened; delivery failed',
    );
  },
  webhookAttempted(
    deliveryId: string,
    attempt: number,
    outcome: { status: number | null; error: string | null },
    result: string,
  ): void {
    logger().info(
      { event: 'webhook.attempt', deliveryId, attempt, status: outcome.status, error: outcome.error, result },
      'Webhook delivery attempted',
    );
  },
};
