/** Delete a task (owner or admin), with a `task.deleted` event; its media are detached, not deleted. */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { Principal } from '../domain/common.schema.ts';
import { canManage } from '../domain/task.rules.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { detachAllMedia } from '../stores/media-store.ts';
import { etagMatches, loadVisibleTask, TASKS } from '../stores/task-store.ts';

export interface DeleteTaskRequest {
  actor: Principal;
  origin: EventOrigin;
  id: string;
  ifMatch?: string;
}

export async function deleteTask(req: DeleteTaskRequest, deps: Deps): Promise<void> {
  await inUnitOfWork(deps, async (tx, emit) => {
    const { task, relation } = await loadVisibleTask(tx, req.id, req.actor);
    if (!canManage(relation))
      throw new AppError('AUTH.FORBIDDEN', 'Only the owner or an admin may delete a task.');
    if (req.ifMatch !== undefined && !etagMatches(req.ifMatch, task)) {
      throw new AppError('PRECONDITION.FAILED', 'The task changed since you read it (If-Match is stale).');
    }
    await detachAllMedia(tx, deps, task);
    tx.delete(TASKS, task.id);
    const event = newEvent(deps, 'task.deleted', req.origin, { task });
    emit(event);
  });
}
