/**
 * Change a task: load it, check visibility, the If-Match version, who may change which
 * field and the status workflow, then save it with a `task.updated` event naming the
 * changed fields. The version check and the write are one unit of work, so of concurrent
 * writers holding the same ETag exactly one wins.
 */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { Principal } from '../domain/common.schema.ts';
import { canTransition, changedFields, forbiddenFields, normaliseLabels } from '../domain/task.rules.ts';
import type { PatchTaskInput, Task } from '../domain/task.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { etagMatches, loadVisibleTask, TASKS, toTaskDoc } from '../stores/task-store.ts';
import { assertUserExists } from '../stores/user-store.ts';

export interface UpdateTaskRequest {
  actor: Principal;
  origin: EventOrigin;
  id: string;
  patch: PatchTaskInput;
  ifMatch?: string;
}

export async function updateTask(req: UpdateTaskRequest, deps: Deps): Promise<Task> {
  const task = await inUnitOfWork(deps, async (tx, emit) => {
    const { task: current, relation } = await loadVisibleTask(tx, req.id, req.actor);
    if (req.ifMatch !== undefined && !etagMatches(req.ifMatch, current)) {
      throw new AppError('PRECONDITION.FAILED', 'The task changed since you read it (If-Match is stale).', {
        details: { currentVersion: current.version },
      });
    }
    const forbidden = forbiddenFields(relation, req.patch);
    if (forbidden.length > 0) {
      throw new AppError('TASK.FORBIDDEN_FIELD', 'The assignee may change the status only.', {
        details: { fields: forbidden },
      });
    }
    const patch: PatchTaskInput = req.patch.labels
      ? { ...req.patch, labels: normaliseLabels(req.patch.labels) }
      : req.patch;
    if (patch.status && !canTransition(current.status, patch.status)) {
      throw new AppError(
        'TASK.INVALID_TRANSITION',
        `A task cannot go from ${current.status} to ${patch.status}.`,
        {
          details: { from: current.status, to: patch.status },
        },
      );
    }
    const changed = changedFields(current, patch);
    if (changed.length === 0) return current;
    if (changed.includes('assigneeId') && patch.assigneeId)
      await assertUserExists(tx, patch.assigneeId, 'assigneeId');
    const next: Task = {
      ...current,
      ...Object.fromEntries(changed.map((f) => [f, patch[f]])),
      updatedAt: deps.clock.now().toISOString(),
      version: current.version + 1,
    };
    tx.set(TASKS, next.id, toTaskDoc(next));
    const previous = Object.fromEntries(changed.map((f) => [f, current[f]]));
    const event = newEvent(deps, 'task.updated', req.origin, {
      task: next,
      changedFields: changed,
      previous,
    });
    emit(event);
    return next;
  });
  return task;
}
