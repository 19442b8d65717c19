/**
 * `eventFunction(name, handler)`: the only code that knows CloudEvents. It decodes the
 * Pub/Sub message, carries its correlation id and trace into logs, and makes the retry
 * decision explicit: returning acknowledges; a retryable error is thrown so the platform
 * retries with backoff; anything else is logged and acknowledged (a poison message must
 * not be retried forever).
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { config } from '../config/config.ts';
import { isAppError } from '../errors/app-error.ts';
import { parseTrace, runWithContext } from '../logging/context.ts';
import { logger } from '../logging/logger.ts';

/** A decoded Pub/Sub message. */
export interface PubSubMessage {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: string | undefined;
}

interface MessagePublishedData {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string };
}

export function decodeMessage(event: CloudEvent<unknown>): PubSubMessage {
  const payload = (event.data ?? {}) as MessagePublishedData;
  const m = payload.message ?? {};
  return {
    id: m.messageId ?? event.id,
    data: Buffer.from(m.data ?? '', 'base64'),
    attributes: m.attributes ?? {},
    publishTime: m.publishTime,
  };
}

export function eventFunction(
  name: string,
  handler: (message: PubSubMessage) => Promise<void>,
): (event: CloudEvent<unknown>) => Promise<void> {
  return async (event) => {
    const message = decodeMessage(event);
    const context = {
      requestId: randomUUID(),
      correlationId: message.attributes.correlationId ?? message.id,
      functionName: name,
      ...parseTrace(config().projectId, message.attributes.traceparent, undefined),
    };
    await runWithContext(context, async () => {
      try {
        await handler(message);
      } catch (error) {
        const retryable = !isAppError(error) || error.retryable;
        logger().error(
          { event: retryable ? 'event.retry' : 'event.dropped', messageId: message.id, err: error },
          retryable
            ? 'Event handling failed; the platform will retry'
            : 'Event handling failed; not retryable',
        );
        if (retryable) throw error;
      }
    });
  };
}

/** The object of a Cloud Storage CloudEvent (`google.cloud.storage.object.v1.*`). */
export interface StorageObject {
  bucket: string;
  name: string;
  generation: string;
  size: number;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

/**
 * Wraps a handler of Cloud Storage events as Eventarc delivers them (the object resource
 * as data). Same retry rule as `eventFunction`: throw to retry, return to finish.
 */
export function storageEventFunction(
  name: string,
  handler: (object: StorageObject) => Promise<void>,
): (event: CloudEvent<unknown>) => Promise<void> {
  return async (event) => {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const object: StorageObject = {
      bucket: String(data.bucket ?? ''),
      name: String(data.name ?? ''),
      generation: String(data.generation ?? '0'),
      size: Number(data.size ?? 0),
      contentType: typeof data.contentType === 'string' ? data.contentType : undefined,
      metadata: Object.fromEntries(
        Object.entries((data.metadata ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
    };
    const context = {
      requestId: randomUUID(),
      correlationId: `${object.bucket}/${object.name}#${object.generation}`,
      functionName: name,
      ...parseTrace(config().projectId, (event as { traceparent?: string }).traceparent, undefined),
    };
    await runWithContext(context, async () => {
      if (!object.bucket || !object.name || !/^\d+$/.test(object.generation)) {
        logger().error({ event: 'event.dropped', ceId: event.id }, 'Not a storage object event; dropped');
        return;
      }
      try {
        await handler(object);
      } catch (error) {
        const retryable = !isAppError(error) || error.retryable;
        logger().error(
          { event: retryable ? 'event.retry' : 'event.dropped', object: object.name, err: error },
          retryable ? 'Storage event failed; the platform will retry' : 'Storage event failed; not retryable',
        );
        if (retryable) throw error;
      }
    });
  };
}
