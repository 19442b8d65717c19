/**
 * Pure task rules: the status workflow, who may see and change what, and what changed.
 * No I/O; every decision the task use cases make about permissions lives here.
 */
import type { Principal } from './common.schema.ts';
import type { PatchTaskInput, Priority, Task, TaskStatus } from './task.schema.ts';

/** The allowed status changes of API.md. */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  PENDING: ['IN_PROGRESS', 'COMPLETED', 'CANCELLED'],
  IN_PROGRESS: ['PENDING', 'COMPLETED', 'CANCELLED'],
  COMPLETED: ['IN_PROGRESS'],
  CANCELLED: ['PENDING'],
};

/** Whether `from → to` is allowed. Staying in the same status is not a change. */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Numeric rank for sorting by priority (LOW < MEDIUM < HIGH < URGENT). */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { LOW: 0, MEDIUM: 1, HIGH: 2, URGENT: 3 };

export type TaskRelation = 'owner' | 'admin' | 'assignee' | 'stranger';

/** How the caller relates to the task; owner wins over admin wins over assignee. */
export function relationTo(task: Pick<Task, 'ownerId' | 'assigneeId'>, who: Principal): TaskRelation {
  if (task.ownerId === who.uid) return 'owner';
  if (who.role === 'admin') return 'admin';
  if (task.assigneeId === who.uid) return 'assignee';
  return 'stranger';
}

/** Strangers must not learn the task exists. */
export function canSee(relation: TaskRelation): boolean {
  return relation !== 'stranger';
}

/** Owners and admins edit everything and delete. */
export function canManage(relation: TaskRelation): boolean {
  return relation === 'owner' || relation === 'admin';
}

/** The fields of a patch the relation may not change (empty when all are allowed). */
export function forbiddenFields(relation: TaskRelation, patch: PatchTaskInput): string[] {
  if (canManage(relation)) return [];
  return Object.keys(patch).filter((field) => field !== 'status');
}

/** The names of the fields whose values a patch really changes, in a stable order. */
export function changedFields(task: Task, patch: PatchTaskInput): (keyof PatchTaskInput)[] {
  const fields = ['title', 'description', 'status', 'priority', 'dueDate', 'assigneeId', 'labels'] as const;
  return fields.filter((f) => {
    const next = patch[f];
    if (next === undefined) return false;
    return JSON.stringify(next) !== JSON.stringify(task[f]);
  });
}

/** Ids that may see a task: owner and assignee (admins see everything by role). */
export function viewersOf(task: Pick<Task, 'ownerId' | 'assigneeId'>): string[] {
  return task.assigneeId && task.assigneeId !== task.ownerId
    ? [task.ownerId, task.assigneeId]
    : [task.ownerId];
}

/** De-duplicates labels, keeping their first order. */
export function normaliseLabels(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}
