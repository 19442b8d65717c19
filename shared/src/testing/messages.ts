/** Tasks, event envelopes, Pub/Sub messages and webhook deliveries for tests of consumers and event functions. */
import type { EventData, EventEnvelope, EventOf, EventType } from '../domain/event.schema.ts';
import type { Task } from '../domain/task.schema.ts';
import type { PubSubMessage } from '../ports/message.ts';
import { type DeliveryDoc, retainedFrom } from '../webhooks/webhook-store.ts';
import type { MemoryDeps } from './memory-deps.ts';

/** A valid task (`task-1`, owned by `user-1`, unassigned), with `overrides` applied. */
export function testTask(overrides: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    title: 'A task',
    description: '',
    status: 'PENDING',
    priority: 'MEDIUM',
    dueDate: null,
    ownerId: 'user-1',
    assigneeId: null,
    labels: [],
    mediaIds: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

/** A `T` envelope carrying `data`; the other fields are fixed unless given in `fields`. */
export function testEvent<T extends EventType>(
  eventType: T,
  data: EventData<T>,
  fields: Partial<Omit<EventEnvelope, 'eventType' | 'data'>> = {},
): EventOf<T> {
  return {
    id: 'evt-1',
    eventType,
    version: 1,
    timestamp: '2026-01-01T00:00:00.000Z',
    serviceId: 'taskman-test',
    correlationId: 'corr-1',
    actorId: 'user-1',
    data,
    ...fields,
  } as EventOf<T>;
}

/** Data that lacks its type's shape on purpose, for tests of what is done with such data. */
export function malformedData(data: Record<string, unknown>): never {
  return data as never;
}

/** A `task.created` envelope stamped by `deps`' clock and ids, with `overrides` applied. */
export function testEnvelope(
  deps: MemoryDeps,
  overrides: Partial<EventOf<'task.created'>> = {},
): EventOf<'task.created'> {
  const stamp = { id: deps.ids.newId(), timestamp: deps.clock.now().toISOString() };
  return { ...testEvent('task.created', { task: testTask() }, stamp), ...overrides };
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

/** A pending webhook delivery `id`, due at `at` (tests and benchmarks of the retry sweep). */
export function testDelivery(id: string, at: Date): DeliveryDoc {
  return {
    id,
    webhookId: 'w',
    ownerId: 'u',
    eventId: `e-${id}`,
    eventType: 'task.created',
    payload: '{}',
    status: 'pending',
    attempts: [],
    nextAttemptAt: at.toISOString(),
    leaseUntil: null,
    failedReason: null,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    ...retainedFrom(at, { deliveryRetentionDays: 1 }),
  };
}
