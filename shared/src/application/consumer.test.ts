/**
 * The consumer decision table on in-memory deps: a repeat is applied once, a poison
 * message is dead-lettered (not thrown), a retryable error is thrown, an event older than
 * the cut-off is dropped.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../domain/command.schema.ts';
import type { EventEnvelope } from '../domain/event.schema.ts';
import { AppError } from '../errors/app-error.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import type { Transaction } from '../ports/document-store.ts';
import { memoryDeps } from '../testing/memory-deps.ts';
import { testEnvelope as envelope, testMessage as message } from '../testing/messages.ts';
import {
  type Consumer,
  consumeCommand,
  consumeMessage,
  DEAD_LETTERS,
  type DeadLetterDoc,
  PROCESSED_EVENTS,
  processedEventId,
} from './consumer.ts';

const OPTIONS = { maxAgeSeconds: 24 * 3600, deadLetterRetentionDays: 30 };

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

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
      // Kept for the retention given, then deleted by the TTL policy.
      expiresAt: new Date(deps.clock.now().getTime() + 30 * 86_400_000),
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

describe('consumeCommand', () => {
  const command = (deps: ReturnType<typeof memoryDeps>): Command => ({
    id: deps.ids.newId(),
    type: 'test.do',
    timestamp: deps.clock.now().toISOString(),
    correlationId: 'corr-1',
    actorId: null,
    data: { n: 1 },
  });

  it('hands a command to its handler once parsed', async () => {
    const deps = memoryDeps();
    const seen: Command[] = [];
    const c = command(deps);
    const handle = async (x: Command) => {
      seen.push(x);
    };
    expect(await consumeCommand('worker', message(c, 'c1'), handle, deps, OPTIONS)).toBe('applied');
    expect(seen).toEqual([c]);
    expect(deps.store.dump(DEAD_LETTERS)).toEqual([]);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['not a command', { hello: 'world' }, /not a command/],
  ])('dead-letters a message that is %s, with its reason, unhandled', async (_what, data, reason) => {
    const deps = memoryDeps();
    let calls = 0;
    const outcome = await consumeCommand(
      'worker',
      message(data, 'bad-1'),
      async () => {
        calls++;
      },
      deps,
      OPTIONS,
    );
    expect(outcome).toBe('dead-lettered');
    expect(calls).toBe(0);
    const letter = await deps.store.get<DeadLetterDoc>(DEAD_LETTERS, 'worker:bad-1');
    expect(letter?.data).toMatchObject({
      consumer: 'worker',
      messageId: 'bad-1',
      code: 'REQUEST.VALIDATION',
    });
    expect(letter?.data.reason).toMatch(reason);
  });

  it('dead-letters what the handler refuses for good; throws what it may retry', async () => {
    const deps = memoryDeps();
    const refuse = async () => {
      throw new AppError('REQUEST.VALIDATION', 'Not a webhook.deliver command.');
    };
    expect(await consumeCommand('worker', message(command(deps), 'r1'), refuse, deps, OPTIONS)).toBe(
      'dead-lettered',
    );
    expect((await deps.store.get<DeadLetterDoc>(DEAD_LETTERS, 'worker:r1'))?.data.reason).toBe(
      'Not a webhook.deliver command.',
    );
    const down = async () => {
      throw new AppError('DEPENDENCY.UNAVAILABLE', 'down');
    };
    await expect(
      consumeCommand('worker', message(command(deps), 'r2'), down, deps, OPTIONS),
    ).rejects.toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
    });
    expect(await deps.store.get(DEAD_LETTERS, 'worker:r2')).toBeNull();
  });
});
