/**
 * The audit trail: an entry per envelope with its subject and expiry, exactly once for an
 * event delivered 3 times, a dead letter for an event that names no entity, and the admin
 * list's filters and pages, newest first.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { consumeMessage, DEAD_LETTERS } from '../application/consumer.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { EventData, EventType } from '../domain/event.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { DOC_ID } from '../ports/document-store.ts';
import type { PubSubMessage } from '../ports/message.ts';
import { type MemoryDeps, memoryDeps } from '../testing/memory-deps.ts';
import { malformedData, testEvent, testTask } from '../testing/messages.ts';
import { AUDIT, auditConsumer, auditDocOf, listAudit, subjectOf } from './audit.ts';

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

let n = 0;
function envelope<T extends EventType>(
  deps: MemoryDeps,
  eventType: T,
  actorId: string | null,
  data: EventData<T>,
) {
  n++;
  deps.advance(1000);
  return testEvent(eventType, data, {
    id: `evt-${n}`,
    timestamp: deps.clock.now().toISOString(),
    correlationId: `corr-${n}`,
    actorId,
  });
}

/** `task.updated` data of the task `id`, whose title changed. */
const retitled = (id: string) => ({
  task: testTask({ id }),
  changedFields: ['title'],
  previous: { title: 'Before' },
});

const message = (e: unknown, id = 'm'): PubSubMessage => ({
  id,
  data: Buffer.from(JSON.stringify(e)),
  attributes: {},
  publishTime: undefined,
});
const OPTIONS = { maxAgeSeconds: 3600, deadLetterRetentionDays: 30 };
const consumer = auditConsumer(() => 365);

describe('audit entries', () => {
  it('name the entity of each kind of event', () => {
    const deps = memoryDeps();
    expect(subjectOf(envelope(deps, 'task.updated', 'u', retitled('t1')))).toEqual({
      entityType: 'task',
      entityId: 't1',
    });
    expect(
      subjectOf(envelope(deps, 'media.failed', 'u', { mediaId: 'm1', ownerId: 'u', reason: 'corrupt' })),
    ).toEqual({
      entityType: 'media',
      entityId: 'm1',
    });
    expect(subjectOf(envelope(deps, 'user.registered', 'u', { userId: 'u1' }))).toEqual({
      entityType: 'user',
      entityId: 'u1',
    });
    expect(subjectOf(envelope(deps, 'task.created', 'u', malformedData({})))).toBeNull();
  });

  it('expire AUDIT_RETENTION_DAYS after the event', () => {
    const deps = memoryDeps();
    const e = envelope(deps, 'user.registered', 'u1', { userId: 'u1' });
    const doc = auditDocOf(e, 10);
    expect(doc).toEqual({
      id: e.id,
      eventId: e.id,
      eventType: 'user.registered',
      entityType: 'user',
      entityId: 'u1',
      actorId: 'u1',
      correlationId: e.correlationId,
      occurredAt: e.timestamp,
      data: { userId: 'u1' },
      expiresAt: new Date(Date.parse(e.timestamp) + 10 * 86_400_000),
    });
  });

  it('are written once for an event delivered 3 times', async () => {
    const deps = memoryDeps();
    const e = envelope(deps, 'task.created', 'u1', { task: testTask({ id: 't1' }) });
    for (const id of ['1', '2', '3'])
      await consumeMessage('auditTaskEvents', consumer, message(e, id), deps, OPTIONS);
    const docs = await deps.store.query({
      collection: AUDIT,
      where: [],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      limit: 10,
    });
    expect(docs.map((d) => d.id)).toEqual([e.id]);
  });

  it('dead-letter an event that names no entity', async () => {
    const deps = memoryDeps();
    const e = envelope(deps, 'task.created', 'u1', malformedData({ nothing: true }));
    expect(await consumeMessage('auditTaskEvents', consumer, message(e, 'x'), deps, OPTIONS)).toBe(
      'dead-lettered',
    );
    expect((await deps.store.get(DEAD_LETTERS, 'auditTaskEvents:x'))?.data.reason).toMatch(/names no entity/);
  });
});

describe('listAudit', () => {
  it('filters by entity and actor, newest first, in pages', async () => {
    const deps = memoryDeps();
    const events = [
      envelope(deps, 'task.created', 'a', { task: testTask({ id: 't1' }) }),
      envelope(deps, 'task.updated', 'b', retitled('t1')),
      envelope(deps, 'task.created', 'a', { task: testTask({ id: 't2' }) }),
      envelope(deps, 'media.processed', 'a', { mediaId: 't1', ownerId: 'a' }),
      envelope(deps, 'task.deleted', 'a', { task: testTask({ id: 't1' }) }),
    ];
    for (const e of events) await inUnitOfWork(deps, (tx, emit) => consumer.apply(e, tx, deps, emit));
    const t1 = await listAudit({ entityType: 'task', entityId: 't1', limit: 2 }, deps);
    expect(t1.items.map((i) => i.eventType)).toEqual(['task.deleted', 'task.updated']);
    expect(t1.items[0]).not.toHaveProperty('expiresAt');
    const rest = await listAudit(
      { entityType: 'task', entityId: 't1', limit: 2, cursor: t1.nextCursor! },
      deps,
    );
    expect(rest.items.map((i) => i.eventType)).toEqual(['task.created']);
    expect(rest.nextCursor).toBeNull();
    const byB = await listAudit({ actorId: 'b', limit: 10 }, deps);
    expect(byB.items.map((i) => i.id)).toEqual([events[1]!.id]);
    const all = await listAudit({ limit: 10 }, deps);
    expect(all.items.map((i) => i.id)).toEqual(events.map((e) => e.id).reverse());
  });
});
