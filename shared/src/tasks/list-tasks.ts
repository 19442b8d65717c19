/**
 * List the tasks a caller may see, filtered, sorted and paged. Members see what they own
 * or are assigned (`viewers`); admins see every task. The sort field is followed by the
 * due date when it is range-filtered (Firestore orders by inequality fields) and by the id,
 * so every position is unique and cursors stay stable under concurrent inserts.
 */

import { pageOf } from '../application/cursor.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import { PRIORITY_RANK } from '../domain/task.rules.ts';
import type { ListTasksQuery, Task } from '../domain/task.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID, type OrderBy, type Query, type Where } from '../ports/document-store.ts';
import { fromTaskDoc, TASKS, type TaskDoc } from '../stores/task-store.ts';

const SORT_FIELD = { createdAt: 'createdAt', dueDate: 'dueDate', priority: 'priorityRank' } as const;

/** The store query for a listing; pure, so its shape can be tested on its own. */
export function taskListQuery(actor: Principal, q: ListTasksQuery): Omit<Query, 'limit' | 'startAfter'> {
  const where: Where[] = [];
  if (actor.role !== 'admin') {
    where.push(
      q.label
        ? { field: 'viewerLabels', op: 'array-contains', value: `${actor.uid}#${q.label}` }
        : { field: 'viewers', op: 'array-contains', value: actor.uid },
    );
  } else if (q.label) {
    where.push({ field: 'labels', op: 'array-contains', value: q.label });
  }
  if (q.status) where.push({ field: 'status', op: '==', value: q.status });
  if (q.priority) where.push({ field: 'priorityRank', op: '==', value: PRIORITY_RANK[q.priority] });
  if (q.assigneeId) where.push({ field: 'assigneeId', op: '==', value: q.assigneeId });
  if (q.dueAfter) where.push({ field: 'dueDate', op: '>', value: q.dueAfter });
  if (q.dueBefore) where.push({ field: 'dueDate', op: '<', value: q.dueBefore });

  const descending = q.sort.startsWith('-');
  const key = q.sort.replace(/^-/, '') as keyof typeof SORT_FIELD;
  const direction = descending ? 'desc' : 'asc';
  const orderBy: OrderBy[] = [{ field: SORT_FIELD[key], direction }];
  if ((q.dueAfter || q.dueBefore) && key !== 'dueDate') orderBy.push({ field: 'dueDate', direction: 'asc' });
  if (key !== 'createdAt') orderBy.push({ field: 'createdAt', direction });
  orderBy.push({ field: DOC_ID, direction });
  return { collection: TASKS, where, orderBy };
}

export async function listTasks(
  req: { actor: Principal; query: ListTasksQuery },
  deps: Deps,
): Promise<Page<Task>> {
  return pageOf<TaskDoc, Task>(
    deps.store,
    taskListQuery(req.actor, req.query),
    req.query.limit,
    req.query.cursor,
    (d) => fromTaskDoc(d.data),
  );
}
