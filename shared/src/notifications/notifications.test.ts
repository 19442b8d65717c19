/**
 * Who is notified of what (the pure rules), and exactly once: the same envelope delivered
 * 3 times through the consumer wrapper makes one notification; applied twice without the
 * wrapper, still one (the id is derived from envelope and recipient).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { consumeMessage } from '../application/consumer.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { EventData, EventEnvelope, EventType } from '../domain/event.schema.ts';
import type { Notification } from '../domain/notification.schema.ts';
import type { Task } from '../domain/task.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { DOC_ID } from '../ports/document-store.ts';
import type { PubSubMessage } from '../ports/message.ts';
import { memoryDeps } from '../testing/memory-deps.ts';
import { malformedData, testEvent, testTask } from '../testing/messages.ts';
import {
  listNotifications,
  markAllRead,
  markRead,
  NOTIFICATIONS,
  notificationId,
  notificationsFor,
  notifyConsumer,
} from './notifications.ts';

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

const OWNER = 'owner-1';
const ASSIGNEE = 'assignee-1';
const OTHER = 'other-1';

let n = 0;
function envelope<T extends EventType>(eventType: T, actorId: string | null, data: EventData<T>) {
  n++;
  return testEvent(eventType, data, {
    id: `evt-${n}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    correlationId: `corr-${n}`,
    actorId,
  });
}

function task(overrides: Partial<Task> = {}): Task {
  return testTask({ title: 'Write the tests', ownerId: OWNER, ...overrides });
}

const who = (e: EventEnvelope) => notificationsFor(e).map((d) => [d.type, d.userId]);

describe('notificationsFor', () => {
  it('welcomes a registered user', () => {
    const [draft] = notificationsFor(envelope('user.registered', 'u1', { userId: 'u1', displayName: 'Ada' }));
    expect(draft).toMatchObject({ userId: 'u1', type: 'welcome', entityType: 'user', entityId: 'u1' });
    expect(draft?.body).toContain('Ada');
  });

  it('tells the assignee of a task created with one, unless they created it', () => {
    expect(who(envelope('task.created', OWNER, { task: task({ assigneeId: ASSIGNEE }) }))).toEqual([
      ['task.assigned', ASSIGNEE],
    ]);
    expect(who(envelope('task.created', OWNER, { task: task() }))).toEqual([]);
    expect(
      who(envelope('task.created', ASSIGNEE, { task: task({ ownerId: ASSIGNEE, assigneeId: ASSIGNEE }) })),
    ).toEqual([]);
  });

  it('tells the new assignee when the assignee changes, nobody when it is removed', () => {
    const changed = { changedFields: ['assigneeId'], previous: { assigneeId: null } };
    expect(
      who(envelope('task.updated', OWNER, { task: task({ assigneeId: ASSIGNEE }), ...changed })),
    ).toEqual([['task.assigned', ASSIGNEE]]);
    expect(
      who(
        envelope('task.updated', OWNER, {
          task: task(),
          changedFields: ['assigneeId'],
          previous: { assigneeId: ASSIGNEE },
        }),
      ),
    ).toEqual([]);
    expect(who(envelope('task.updated', OWNER, { task: task({ assigneeId: OWNER }), ...changed }))).toEqual(
      [],
    );
  });

  it('does not tell the assignee of other changes', () => {
    expect(
      who(
        envelope('task.updated', OWNER, {
          task: task({ assigneeId: ASSIGNEE }),
          changedFields: ['title'],
          previous: { title: 'Write tests' },
        }),
      ),
    ).toEqual([]);
  });

  it('tells the owner of a status change by someone else, not of their own', () => {
    const data: EventData<'task.updated'> = {
      task: task({ assigneeId: ASSIGNEE, status: 'IN_PROGRESS' }),
      changedFields: ['status'],
      previous: { status: 'PENDING' },
    };
    const [draft] = notificationsFor(envelope('task.updated', ASSIGNEE, data));
    expect(draft).toMatchObject({
      userId: OWNER,
      type: 'task.status_changed',
      entityType: 'task',
      entityId: 'task-1',
    });
    expect(draft?.body).toContain('PENDING');
    expect(draft?.body).toContain('IN_PROGRESS');
    expect(who(envelope('task.updated', OWNER, data))).toEqual([]);
    expect(who(envelope('task.updated', OTHER, data))).toEqual([['task.status_changed', OWNER]]);
  });

  it('tells both when one change reassigns and moves the status', () => {
    const data: EventData<'task.updated'> = {
      task: task({ assigneeId: ASSIGNEE, status: 'COMPLETED' }),
      changedFields: ['assigneeId', 'status'],
      previous: { assigneeId: null, status: 'IN_PROGRESS' },
    };
    expect(who(envelope('task.updated', OTHER, data))).toEqual([
      ['task.assigned', ASSIGNEE],
      ['task.status_changed', OWNER],
    ]);
  });

  it('tells the media owner of processing and failure', () => {
    expect(who(envelope('media.processed', OWNER, { mediaId: 'm1', ownerId: OWNER }))).toEqual([
      ['media.ready', OWNER],
    ]);
    const [failed] = notificationsFor(
      envelope('media.failed', OWNER, { mediaId: 'm1', ownerId: OWNER, reason: 'corrupt' }),
    );
    expect(failed).toMatchObject({ type: 'media.failed', entityType: 'media', entityId: 'm1' });
    expect(failed?.body).toContain('corrupt');
  });

  it('ignores the other events and malformed data', () => {
    expect(who(envelope('task.deleted', OWNER, { task: task({ assigneeId: ASSIGNEE }) }))).toEqual([]);
    const upload = { bucket: 'media', object: 'uploads/owner-1/m1/a.png', generation: '1', size: 10 };
    expect(who(envelope('media.uploaded', OWNER, { mediaId: 'm1', ownerId: OWNER, ...upload }))).toEqual([]);
    expect(who(envelope('media.deleted', OWNER, { mediaId: 'm1', ownerId: OWNER, taskIds: [] }))).toEqual([]);
    expect(who(envelope('task.created', OWNER, malformedData({ task: 'nope' })))).toEqual([]);
    expect(who(envelope('user.registered', null, malformedData({ userId: '../x' })))).toEqual([]);
  });
});

function message(e: EventEnvelope, id: string): PubSubMessage {
  return { id, data: Buffer.from(JSON.stringify(e)), attributes: {}, publishTime: undefined };
}

async function allNotifications(deps: ReturnType<typeof memoryDeps>) {
  return deps.store.query<Notification>({
    collection: NOTIFICATIONS,
    where: [],
    orderBy: [{ field: DOC_ID, direction: 'asc' }],
    limit: 100,
  });
}

describe('the notifications consumer', () => {
  it('makes one notification of an event delivered 3 times', async () => {
    const deps = memoryDeps();
    const e = envelope('task.created', OWNER, { task: task({ assigneeId: ASSIGNEE }) });
    e.timestamp = deps.clock.now().toISOString();
    const outcomes = [];
    for (const id of ['1', '2', '3'])
      outcomes.push(
        await consumeMessage(
          'notifyTaskEvents',
          notifyConsumer(() => 90),
          message(e, id),
          deps,
          {
            maxAgeSeconds: 3600,
            deadLetterRetentionDays: 30,
          },
        ),
      );
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    const docs = await allNotifications(deps);
    expect(docs.map((d) => d.data)).toEqual([
      {
        id: notificationId(e.id, ASSIGNEE, 'task.assigned'),
        userId: ASSIGNEE,
        type: 'task.assigned',
        title: 'A task was assigned to you',
        body: 'You were assigned "Write the tests".',
        entityType: 'task',
        entityId: 'task-1',
        read: false,
        createdAt: e.timestamp,
        // Kept 90 days (the retention given), then deleted by the TTL policy.
        expiresAt: new Date(Date.parse(e.timestamp) + 90 * 86_400_000),
      },
    ]);
  });

  it('makes one notification even applied twice without the wrapper, and keeps it read', async () => {
    const deps = memoryDeps();
    const e = envelope('user.registered', 'u1', { userId: 'u1' });
    const consumer = notifyConsumer(() => 90);
    await inUnitOfWork(deps, (tx, emit) => consumer.apply(e, tx, deps, emit));
    const [doc] = await allNotifications(deps);
    await markRead({ actor: { uid: 'u1', email: undefined, role: 'member' }, id: doc!.id }, deps);
    await inUnitOfWork(deps, (tx, emit) => consumer.apply(e, tx, deps, emit));
    const docs = await allNotifications(deps);
    expect(docs).toHaveLength(1);
    expect(docs[0]?.data.read).toBe(true);
  });
});

describe('reading notifications', () => {
  const me = { uid: 'me', email: undefined, role: 'member' as const };
  const them = { uid: 'them', email: undefined, role: 'member' as const };

  async function world() {
    const deps = memoryDeps();
    const consumer = notifyConsumer(() => 90);
    for (let i = 0; i < 5; i++) {
      const e = envelope('media.processed', 'x', { mediaId: `m${i}`, ownerId: i < 4 ? me.uid : them.uid });
      await inUnitOfWork(deps, (tx, emit) => consumer.apply(e, tx, deps, emit));
    }
    return deps;
  }

  it('lists the caller’s, newest first, in pages, unread only on request', async () => {
    const deps = await world();
    const first = await listNotifications({ actor: me, query: { limit: 3 } }, deps);
    expect(first.items.map((i) => i.entityId)).toEqual(['m3', 'm2', 'm1']);
    expect(first.items[0]).not.toHaveProperty('expiresAt');
    const second = await listNotifications(
      { actor: me, query: { limit: 3, cursor: first.nextCursor! } },
      deps,
    );
    expect(second.items.map((i) => i.entityId)).toEqual(['m0']);
    expect(second.nextCursor).toBeNull();
    await markRead({ actor: me, id: first.items[0]!.id }, deps);
    const unread = await listNotifications({ actor: me, query: { limit: 10, unread: true } }, deps);
    expect(unread.items.map((i) => i.entityId)).toEqual(['m2', 'm1', 'm0']);
  });

  it('refuses to mark someone else’s read (404) and marks all of the caller’s only', async () => {
    const deps = await world();
    const [theirs] = (await listNotifications({ actor: them, query: { limit: 10 } }, deps)).items;
    await expect(markRead({ actor: me, id: theirs!.id }, deps)).rejects.toMatchObject({
      code: 'NOTIFICATION.NOT_FOUND',
    });
    await expect(markRead({ actor: me, id: 'nope' }, deps)).rejects.toMatchObject({
      code: 'NOTIFICATION.NOT_FOUND',
    });
    await markAllRead({ actor: me }, deps);
    expect((await listNotifications({ actor: me, query: { limit: 10, unread: true } }, deps)).items).toEqual(
      [],
    );
    expect(
      (await listNotifications({ actor: them, query: { limit: 10, unread: true } }, deps)).items,
    ).toHaveLength(1);
  });
});
