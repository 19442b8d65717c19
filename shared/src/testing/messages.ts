/** Event envelopes and Pub/Sub messages for tests of consumers and event functions. */
import type { EventEnvelope } from '../domain/event.schema.ts';
import type { PubSubMessage } from '../ports/message.ts';
import type { MemoryDeps } from './memory-deps.ts';

/** A `task.created` envelope stamped by `deps`' clock and ids, with `overrides` applied. */
export function testEnvelope(deps: MemoryDeps, overrides: Partial<EventEnvelope> = {}): EventEnvelope {
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

/** A received Pub/Sub message carrying `data` (JSON-encoded unless a string). */
export function testMessage(data: unknown, id = '1001'): PubSubMessage {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return {
    id,
    data: Buffer.from(text),
    attributes: { eventType: 'task.created', correlationId: 'corr-1' },
    publishTime: undefined,
  };
}
