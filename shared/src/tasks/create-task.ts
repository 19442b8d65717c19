/** Create a task: validate the assignee, save the task with its event, publish. */

import { type IdempotencyRequest, idempotent } from '../application/idempotency.ts';
import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import type { Principal } from '../domain/common.schema.ts';
import { normaliseLabels } from '../domain/task.rules.ts';
import type { CreateTaskInput, Task } from '../domain/task.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { TASKS, toTaskDoc } from '../stores/task-store.ts';
import { assertUserExists } from '../stores/user-store.ts';

export interface CreateTaskRequest {
  actor: Principal;
  origin: EventOrigin;
  body: CreateTaskInput;
  idempotency?: IdempotencyRequest;
}

export async function createTask(
  req: CreateTaskRequest,
  deps: Deps,
): Promise<{ task: Task; replayed: boolean }> {
  const outcome = await inUnitOfWork(deps, async (tx, emit) => {
    return idempotent(tx, deps, req.idempotency, async () => {
      if (req.body.assigneeId) await assertUserExists(tx, req.body.assigneeId, 'assigneeId');
      const now = deps.clock.now().toISOString();
      const task: Task = {
        id: deps.ids.newId(),
        title: req.body.title,
        description: req.body.description ?? '',
        status: req.body.status ?? 'PENDING',
        priority: req.body.priority ?? 'MEDIUM',
        dueDate: req.body.dueDate ?? null,
        ownerId: req.actor.uid,
        assigneeId: req.body.assigneeId ?? null,
        labels: normaliseLabels(req.body.labels ?? []),
        mediaIds: [],
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      tx.create(TASKS, task.id, toTaskDoc(task));
      const event = newEvent(deps, 'task.created', req.origin, { task });
      emit(event);
      return task;
    });
  });
  return { task: outcome.result, replayed: outcome.replayed };
}
