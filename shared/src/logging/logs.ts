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
  compensationFailed(what: string, error: unknown): void {
    logger().error({ event: 'compensation.failed', what, err: error }, `Compensation failed: ${what}`);
  },
};
