/**
 * How tasks are kept in the document store: the API's task plus the fields its queries
 * need (`viewers` for visibility, `viewerLabels` for visibility and label together, since
 * Firestore allows one array-contains per query, and `priorityRank` for sorting).
 */

import type { Principal } from '../domain/common.schema.ts';
import { canSee, PRIORITY_RANK, relationTo, type TaskRelation, viewersOf } from '../domain/task.rules.ts';
import { type Task, TaskSchema } from '../domain/task.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { DocData, Transaction } from '../ports/document-store.ts';

export const TASKS = 'tasks';

export interface TaskDoc extends Task, DocData {
  viewers: string[];
  viewerLabels: string[];
  priorityRank: number;
}

/** The stored form of a task. */
export function toTaskDoc(task: Task): TaskDoc {
  const viewers = viewersOf(task);
  return {
    ...task,
    viewers,
    viewerLabels: viewers.flatMap((uid) => task.labels.map((label) => `${uid}#${label}`)),
    priorityRank: PRIORITY_RANK[task.priority],
  };
}

/** The API form of a stored task: only the fields of the contract. */
export function fromTaskDoc(data: DocData): Task {
  return TaskSchema.parse(data);
}

export const taskNotFound = () => new AppError('TASK.NOT_FOUND', 'No such task.');

/** Loads a task the caller may see, with the caller's relation to it; 404 otherwise. */
export async function loadVisibleTask(
  tx: Pick<Transaction, 'get'>,
  id: string,
  who: Principal,
): Promise<{ task: Task; relation: TaskRelation }> {
  const doc = await tx.get(TASKS, id);
  if (!doc) throw taskNotFound();
  const task = fromTaskDoc(doc.data);
  const relation = relationTo(task, who);
  if (!canSee(relation)) throw taskNotFound();
  return { task, relation };
}

/** The ETag of a task version. */
export function taskEtag(task: Pick<Task, 'version'>): string {
  return `"${task.version}"`;
}

/** Whether an If-Match / If-None-Match header value names this version. */
export function etagMatches(header: string, task: Pick<Task, 'version'>): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === taskEtag(task));
}
