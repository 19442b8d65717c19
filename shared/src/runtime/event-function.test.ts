/**
 * The consumer wrapper's decision table on in-memory deps: a repeat is applied once, a
 * poison message is dead-lettered (not thrown), a retryable error is thrown, an event older
 * than the cut-off is dropped.
 */

import type { CloudEvent } from '@google-cloud/functions-framework';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../domain/event.schema.ts';
import { AppError } from '../errors/app-error.ts';
import { currentContext } from '../logging/context.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import type { Transaction } from '../ports/document-store.ts';
import {
  type Consumer,
  consumeMessage,
  consumerFunction,
  DEAD_LETTERS,
  type DeadLetterDoc,
  PROCESSED_EVENTS,
  type PubSubMessage,
  processedEventId,
} from './event-function.ts';
import { type MemoryDeps, memoryDeps } from './memory-deps.ts';

const OPTIONS = { maxAgeSeconds: 24 * 3600 };

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

function envelope(deps: MemoryDeps, overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: deps.ids.newId(),
    eventType: 'task.created',
    version: 1,
    timestamp: deps.clock.now().toISOString(),
    serviceId: 'taskman-test',
    correlationId: 'corr-1',
    actorId: 'user-1',
    data: { task: { id: 'task-1' } },
    ...overrides,
  };
}

function message(data: unknown, id = '1001'): PubSubMessage {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return {
    id,
    data: Buffer.from(text),
    attributes: { eventType: 'task.created', correlationId: 'corr-1' },
    publishTime: undefined,
  };
}

/** A consumer that counts applications in a `counters` document. */
function counting(): Consumer & { calls: number } {
  const consumer = {
    calls: 0,
    async apply(e: EventEnvelope, tx: Transaction) {
      consumer.calls++;
      const current = await tx.get<{ n: number }>('counters', 'c');
      tx.set('counters', 'c', { n: (current?.data.n ?? 0) + 1, last: e.id });
    },
  };
  return consumer;
}

describe('consumeMessage', () => {
  it('applies the same envelope delivered 3 times once, and records it', async () => {
    const deps = memoryDeps();
    const consumer = counting();
    const e = envelope(deps);
    const outcomes = [];
    for (const id of ['m1', 'm2', 'm3'])
      outcomes.push(await consumeMessage('testConsumer', consumer, message(e, id), deps, OPTIONS));
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    expect((await deps.store.get<{ n: number }>('counters', 'c'))?.data.n).toBe(1);
    const record = await deps.store.get(PROCESSED_EVENTS, processedEventId('testConsumer', e.id));
    expect(record?.data).toMatchObject({
      consumer: 'testConsumer',
      eventId: e.id,
      eventType: 'task.created',
    });
    const expiresAt = record?.data.expiresAt as Date;
    expect(expiresAt).toBeInstanceOf(Date);
    expect(expiresAt.getTime()).toBeGreaterThan(deps.clock.now().getTime() + OPTIONS.maxAgeSeconds * 1000);
  });

  it('applies the same envelope concurrently delivered once', async () => {
    const deps = memoryDeps();
    const consumer = counting();
    const e = envelope(deps);
    const outcomes = await Promise.all(
      ['m1', 'm2', 'm3'].map((id) => consumeMessage('testConsumer', consumer, message(e, id), deps, OPTIONS)),
    );
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect((await deps.store.get<{ n: number }>('counters', 'c'))?.data.n).toBe(1);
  });

  it('keeps separate records per consumer', async () => {
    const deps = memoryDeps();
    const e = envelope(deps);
    expect(await consumeMessage('a', counting(), message(e), deps, OPTIONS)).toBe('applied');
    expect(await consumeMessage('b', counting(), message(e), deps, OPTIONS)).toBe('applied');
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['not an envelope', { hello: 'world' }, /not an event envelope/],
    ['an unknown event type', { ...envelope(memoryDeps()), eventType: 'task.exploded' }, /eventType/],
  ])('dead-letters %s with its reason and acknowledges it', async (_what, data, reason) => {
    const deps = memoryDeps();
    const consumer = counting();
    const outcome = await consumeMessage('testConsumer', consumer, message(data, 'poison-1'), deps, OPTIONS);
    expect(outcome).toBe('dead-lettered');
    expect(consumer.calls).toBe(0);
    const letter = await deps.store.get<DeadLetterDoc>(DEAD_LETTERS, 'testConsumer:poison-1');
    expect(letter?.data).toMatchObject({
      consumer: 'testConsumer',
      messageId: 'poison-1',
      attributes: { eventType: 'task.created', correlationId: 'corr-1' },
      deadLetteredAt: deps.clock.now().toISOString(),
    });
    expect(letter?.data.reason).toMatch(reason);
    expect(letter?.data.data).toBe(typeof data === 'string' ? data : JSON.stringify(data));
  });

  it('bounds the raw data it keeps', async () => {
    const deps = memoryDeps();
    await consumeMessage('testConsumer', counting(), message('x'.repeat(100_000), 'big'), deps, OPTIONS);
    const letter = await deps.store.get<DeadLetterDoc>(DEAD_LETTERS, 'testConsumer:big');
    expect(letter?.data.data.length).toBeLessThanOrEqual(8 * 1024);
    expect(letter?.data.dataTruncated).toBe(true);
  });

  it('dead-letters a non-retryable error, writing nothing else', async () => {
    const deps = memoryDeps();
    const e = envelope(deps);
    const consumer: Consumer = {
      async apply(_e, tx) {
        tx.set('counters', 'c', { n: 1 });
        throw new AppError('REQUEST.VALIDATION', 'the task is missing');
      },
    };
    expect(await consumeMessage('testConsumer', consumer, message(e, 'bad-1'), deps, OPTIONS)).toBe(
      'dead-lettered',
    );
    const letter = await deps.store.get<DeadLetterDoc>(DEAD_LETTERS, 'testConsumer:bad-1');
    expect(letter?.data).toMatchObject({ reason: 'the task is missing', code: 'REQUEST.VALIDATION' });
    expect(await deps.store.get('counters', 'c')).toBeNull();
    expect(await deps.store.get(PROCESSED_EVENTS, processedEventId('testConsumer', e.id))).toBeNull();
  });

  it('throws a retryable error (and an unexpected one) so the platform retries; a retry then applies', async () => {
    const deps = memoryDeps();
    const e = envelope(deps);
    let failures = 2;
    const consumer: Consumer = {
      async apply(_e, tx) {
        if (failures-- === 2) throw new AppError('DEPENDENCY.UNAVAILABLE', 'down');
        if (failures === 0) throw new Error('boom');
        tx.set('counters', 'c', { n: 1 });
      },
    };
    await expect(consumeMessage('testConsumer', consumer, message(e), deps, OPTIONS)).rejects.toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
    });
    await expect(consumeMessage('testConsumer', consumer, message(e), deps, OPTIONS)).rejects.toThrow('boom');
    expect(await deps.store.get(PROCESSED_EVENTS, processedEventId('testConsumer', e.id))).toBeNull();
    expect(await consumeMessage('testConsumer', consumer, message(e), deps, OPTIONS)).toBe('applied');
    expect(
      await deps.store.query({
        collection: DEAD_LETTERS,
        where: [],
        orderBy: [{ field: '__id__', direction: 'asc' }],
        limit: 10,
      }),
    ).toEqual([]);
  });

  it('drops an event older than the cut-off without applying or dead-lettering it', async () => {
    const deps = memoryDeps();
    const consumer = counting();
    const e = envelope(deps);
    deps.advance(OPTIONS.maxAgeSeconds * 1000 + 1);
    expect(await consumeMessage('testConsumer', consumer, message(e), deps, OPTIONS)).toBe('expired');
    expect(consumer.calls).toBe(0);
    expect(await deps.store.get(PROCESSED_EVENTS, processedEventId('testConsumer', e.id))).toBeNull();
  });
});

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
