/** Delete a task (owner or admin), with a `task.deleted` event; its media are detached, not deleted. */

import { dispatchEvents, type EventOrigin, newEvent, recordEvent } from '../application/outbox.ts';
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
  const events: ReturnType<typeof newEvent>[] = [];
  await deps.store.transact(async (tx) => {
    events.length = 0;
    const { task, relation } = await loadVisibleTask(tx, req.id, req.actor);
    if (!canManage(relation))
      throw new AppError('AUTH.FORBIDDEN', 'Only the owner or an admin may delete a task.');
    if (req.ifMatch !== undefined && !etagMatches(req.ifMatch, task)) {
      throw new AppError('PRECONDITION.FAILED', 'The task changed since you read it (If-Match is stale).');
    }
    await detachAllMedia(tx, deps, task);
    tx.delete(TASKS, task.id);
    const event = newEvent(deps, 'task.deleted', req.origin, { task });
    recordEvent(tx, event);
    events.push(event);
  });
  await dispatchEvents(deps, events);
}
