/** Read a task the caller may see. */
import type { Principal } from '../domain/common.schema.ts';
import type { Task } from '../domain/task.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { loadVisibleTask } from '../stores/task-store.ts';

export async function getTask(req: { actor: Principal; id: string }, deps: Deps): Promise<Task> {
  const { task } = await loadVisibleTask(deps.store, req.id, req.actor);
  return task;
}
