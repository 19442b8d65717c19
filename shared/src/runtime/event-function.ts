/**
 * The CloudEvent edge of every event function, the only code that knows CloudEvents:
 * `eventFunction(name, handler)` decodes the Pub/Sub message, carries its correlation id
 * and trace into logs, and makes the retry decision explicit: returning acknowledges; a
 * retryable error is thrown so the platform retries with backoff; anything else is logged
 * and acknowledged (a poison message must not be retried forever).
 * `storageEventFunction` does the same for Eventarc's Cloud Storage events, and
 * `consumerFunction(name, consumer, deps)` runs an event consumer through
 * `consumeMessage` (application/consumer.ts): exactly once per envelope, poison messages
 * dead-lettered; `parsedFunction(name, shape, handler, deps)` applies the same poison rule
 * to whole messages: command workers and handlers too large for one unit of work
 * (`consumeParsed`).
 */
import { randomUUID } from 'node:crypto';
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import {
  COMMAND_MESSAGE,
  type Consumer,
  consumeMessage,
  consumeParsed,
  type MessageShape,
} from '../application/consumer.ts';
import { config } from '../config/config.ts';
import type { Command } from '../domain/command.schema.ts';
import { isAppError } from '../errors/app-error.ts';
import { parseTrace, runWithContext } from '../logging/context.ts';
import { logs } from '../logging/logs.ts';
import type { BlobInfo } from '../ports/blob-store.ts';
import type { Deps } from '../ports/deps.ts';
import type { PubSubMessage } from '../ports/message.ts';

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
    await runWithContext(context, () => settle(() => handler(message), { messageId: message.id }));
  };
}

/**
 * The retry rule of every event function, in one place: returning acknowledges; a
 * retryable error is thrown so the platform retries with backoff; anything else is logged
 * and acknowledged (a poison message must not be retried for ever).
 */
async function settle(run: () => Promise<void>, fields: Record<string, unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isAppError(error) || error.retryable) {
      logs.eventRetrying(fields, error);
      throw error;
    }
    logs.eventDropped(fields, error);
  }
}

/** The object of a Cloud Storage CloudEvent (`google.cloud.storage.object.v1.*`): a stored blob's facts. */
export type StorageObject = BlobInfo;

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
        logs.notStorageObjectEvent(event.id);
        return;
      }
      await settle(() => handler(object), { object: object.name });
    });
  };
}

/**
 * Wraps a consumer as a Pub/Sub CloudEvent function: correlation id and trace from the
 * message attributes go into the log context; a retryable failure is thrown (the platform
 * retries with backoff), everything else is acknowledged.
 */
export function consumerFunction(
  name: string,
  consumer: Consumer,
  depsOf: () => Deps,
): (event: CloudEvent<unknown>) => Promise<void> {
  // consumeMessage acknowledges (dead-letters) what cannot succeed and throws only what
  // may: eventFunction's retry rule then applies unchanged.
  return eventFunction(name, async (message) => {
    const c = config();
    await consumeMessage(name, consumer, message, depsOf(), {
      maxAgeSeconds: c.eventMaxAgeSeconds,
      deadLetterRetentionDays: c.deadLetterRetentionDays,
    });
  });
}

/**
 * Wraps a worker of whole messages (a command topic's worker, or an event handler that is
 * no consumer unit of work) as a Pub/Sub CloudEvent function: the message is parsed as
 * `shape` and handed to `handler`; a malformed one, or one the handler refuses for good, is
 * dead-lettered with its reason (`consumeParsed`); retryable failures are thrown.
 */
export function parsedFunction<T>(
  name: string,
  shape: MessageShape<T>,
  handler: (value: T) => Promise<unknown>,
  depsOf: () => Pick<Deps, 'store' | 'clock'>,
): (event: CloudEvent<unknown>) => Promise<void> {
  return eventFunction(name, async (message) => {
    await consumeParsed(name, message, shape, handler, depsOf(), {
      deadLetterRetentionDays: config().deadLetterRetentionDays,
    });
  });
}

/**
 * Event entries, each naming its function once: registers `eventFunction(name, handler)`,
 * `consumerFunction(name, consumer, deps)`, `parsedFunction(name, shape, handler, deps)` or
 * `storageEventFunction(name, handler)` under
 * `name` with the framework's `cloudEvent`.
 */
export const eventEntry = (name: string, handler: (message: PubSubMessage) => Promise<void>): void =>
  cloudEvent(name, eventFunction(name, handler));

export const consumerEntry = (name: string, consumer: Consumer, deps: () => Deps): void =>
  cloudEvent(name, consumerFunction(name, consumer, deps));

export const parsedEntry = <T>(
  name: string,
  shape: MessageShape<T>,
  handler: (value: T) => Promise<unknown>,
  deps: () => Pick<Deps, 'store' | 'clock'>,
): void => cloudEvent(name, parsedFunction(name, shape, handler, deps));

export const commandEntry = (
  name: string,
  handler: (command: Command) => Promise<unknown>,
  deps: () => Pick<Deps, 'store' | 'clock'>,
): void => parsedEntry(name, COMMAND_MESSAGE, handler, deps);

export const storageEntry = (name: string, handler: (object: StorageObject) => Promise<void>): void =>
  cloudEvent(name, storageEventFunction(name, handler));
