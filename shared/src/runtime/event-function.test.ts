/** The CloudEvent edge of consumers: decoding, log context, and the retry rule. */

import type { CloudEvent } from '@google-cloud/functions-framework';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTERS } from '../application/consumer.ts';
import { AppError } from '../errors/app-error.ts';
import { currentContext } from '../logging/context.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { memoryDeps } from '../testing/memory-deps.ts';
import { testEnvelope as envelope } from '../testing/messages.ts';
import { consumerFunction } from './event-function.ts';

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

describe('consumerFunction', () => {
  process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-taskman';
  const cloudEvent = (data: string, attributes: Record<string, string> = {}): CloudEvent<unknown> => ({
    specversion: '1.0',
    id: 'ce-1',
    source: '//pubsub.googleapis.com/projects/demo-taskman/topics/task-events',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    data: { message: { data: Buffer.from(data).toString('base64'), attributes, messageId: 'msg-1' } },
  });

  it('decodes the Pub/Sub message and applies it with the envelope in the log context', async () => {
    const deps = memoryDeps();
    const e = envelope(deps);
    const seen: unknown[] = [];
    const fn = consumerFunction(
      'testConsumer',
      {
        async apply(got) {
          seen.push(
            got.id,
            currentContext()?.correlationId,
            currentContext()?.actorId,
            currentContext()?.trace,
          );
        },
      },
      () => deps,
    );
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await fn(cloudEvent(JSON.stringify(e), { correlationId: 'corr-1', traceparent }));
    expect(seen).toEqual([e.id, 'corr-1', 'user-1', `projects/demo-taskman/traces/${'a'.repeat(32)}`]);
  });

  it('acknowledges a poison message (returns) and throws a retryable failure', async () => {
    const deps = memoryDeps();
    const failing = consumerFunction(
      'testConsumer',
      {
        async apply() {
          throw new AppError('STORE.CONTENTION', 'busy');
        },
      },
      () => deps,
    );
    await expect(failing(cloudEvent('{nope'))).resolves.toBeUndefined();
    expect(await deps.store.get(DEAD_LETTERS, 'testConsumer:msg-1')).not.toBeNull();
    await expect(failing(cloudEvent(JSON.stringify(envelope(deps))))).rejects.toMatchObject({
      code: 'STORE.CONTENTION',
    });
  });
});
