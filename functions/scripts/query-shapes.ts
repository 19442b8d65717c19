/**
 * The query shapes the app makes, collected from the code itself: every use case that
 * queries runs against a store that records its queries (the task list, whose options
 * multiply, by enumerating every option of the pure `taskListQuery`). `npm run indexes`
 * plans the Firestore indexes from them (shared/src/adapters/firestore/firestore-indexes.ts).
 */

import {
  type IndexFile,
  indexesFor,
  type QueryShape,
} from '@taskman/shared/adapters/firestore/firestore-indexes';
import { relayOutbox } from '@taskman/shared/application/outbox';
import { inUnitOfWork } from '@taskman/shared/application/unit-of-work';
import { listAudit } from '@taskman/shared/audit/audit';
import { listComments } from '@taskman/shared/comments/comments';
import type { Principal } from '@taskman/shared/domain/common.schema';
import {
  type ListTasksQuery,
  PrioritySchema,
  TaskSortSchema,
  TaskStatusSchema,
} from '@taskman/shared/domain/task.schema';
import { listMedia } from '@taskman/shared/media/media-queries';
import { listNotifications, markAllRead } from '@taskman/shared/notifications/notifications';
import type { DocData, DocumentStore, Query, StoredDoc } from '@taskman/shared/ports/document-store';
import { taskListQuery } from '@taskman/shared/tasks/list-tasks';
import { memoryDeps } from '@taskman/shared/testing/memory-deps';
import { testEvent, testTask } from '@taskman/shared/testing/messages';
import { listUsers } from '@taskman/shared/users/profile';
import { fanOutConsumer } from '@taskman/shared/webhooks/fan-out';
import { listWebhooks } from '@taskman/shared/webhooks/registration';
import { sweepDueDeliveries } from '@taskman/shared/webhooks/retry-sweep';
import { rotateWebhookSecrets } from '@taskman/shared/webhooks/rotate-secrets';
import { parseWebhookConfig } from '@taskman/shared/webhooks/webhook-config';

/** Every option combination of the task list, for members and admins. */
export function taskListShapes(): QueryShape[] {
  const actors: Principal[] = [
    { uid: 'member', email: undefined, role: 'member' },
    { uid: 'admin', email: undefined, role: 'admin' },
  ];
  const optional = <T>(values: readonly T[]): (T | undefined)[] => [undefined, ...values];
  const shapes: QueryShape[] = [];
  for (const actor of actors)
    for (const label of optional(['l']))
      for (const status of optional(TaskStatusSchema.options))
        for (const priority of optional(PrioritySchema.options))
          for (const assigneeId of optional(['u']))
            for (const dueAfter of optional(['2026-01-01T00:00:00.000Z']))
              for (const dueBefore of optional(['2027-01-01T00:00:00.000Z']))
                for (const sort of TaskSortSchema.options) {
                  const q = { limit: 20, sort, label, status, priority, assigneeId, dueAfter, dueBefore };
                  shapes.push(taskListQuery(actor, q as ListTasksQuery));
                }
  return shapes;
}

/** A store that records queries and answers with nothing (or a visible task, for access checks). */
function recordingStore(seen: QueryShape[]): DocumentStore {
  const task: DocData = testTask({ id: 't', title: 't', priority: 'LOW', ownerId: 'u' });
  const get = async <T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null> =>
    collection === 'tasks' ? { id, data: { ...task, id } as DocData as T } : null;
  return {
    get,
    query: async <T extends DocData>(q: Query): Promise<StoredDoc<T>[]> => {
      seen.push({ collection: q.collection, where: q.where, orderBy: q.orderBy });
      return [];
    },
    count: async () => 0,
    transact: async (fn) => fn({ get, create: () => {}, set: () => {}, delete: () => {} }),
    ping: async () => {},
  };
}

/** Every query shape of the app's listings and background jobs. */
export async function appQueryShapes(): Promise<QueryShape[]> {
  const seen: QueryShape[] = [];
  const store = recordingStore(seen);
  const deps = { ...memoryDeps(), store };
  const member: Principal = { uid: 'u', email: undefined, role: 'member' };
  for (const taskId of [undefined, 't'])
    for (const status of [undefined, 'ready'] as const)
      await listMedia(
        { actor: member, limit: 20, ...(taskId ? { taskId } : {}), ...(status ? { status } : {}) },
        deps,
      );
  for (const unread of [undefined, true, false])
    await listNotifications(
      { actor: member, query: { limit: 20, ...(unread === undefined ? {} : { unread }) } },
      deps,
    );
  await markAllRead({ actor: member }, deps);
  for (const entityType of [undefined, 'task'] as const)
    for (const entityId of [undefined, 'e'])
      for (const actorId of [undefined, 'a'])
        await listAudit(
          {
            limit: 20,
            ...(entityType ? { entityType } : {}),
            ...(entityId ? { entityId } : {}),
            ...(actorId ? { actorId } : {}),
          },
          deps,
        );
  await listUsers({ limit: 20 }, deps);
  await listComments({ actor: member, taskId: 't', limit: 20 }, deps);
  await relayOutbox(deps);
  const webhookSettings = parseWebhookConfig({});
  await listWebhooks({ actor: member, query: { limit: 20 } }, deps);
  await sweepDueDeliveries({}, { ...deps, webhooks: webhookSettings });
  await rotateWebhookSecrets({ batchSize: 10, dryRun: true }, deps);
  // The fan-out's lookups: by owner (task and media events) and the admins (user.registered).
  const fanOut = fanOutConsumer(() => webhookSettings);
  const fields = { id: 'e', serviceId: 's', correlationId: 'c', actorId: null };
  for (const envelope of [
    testEvent('task.created', { task: testTask({ id: 't', ownerId: 'u' }) }, fields),
    testEvent('user.registered', { userId: 'u' }, fields),
  ]) {
    await inUnitOfWork(deps, (tx, emit) => fanOut.apply(envelope, tx, deps, emit));
  }
  return [...taskListShapes(), ...seen];
}

/** The index file for the app's queries. */
export async function generateIndexFile(): Promise<IndexFile> {
  return { indexes: indexesFor(await appQueryShapes()), fieldOverrides: [] };
}
