/** A deleted task's comments are purged, in batches, idempotently. */
import { expect, it } from 'vitest';
import { createLogger, setLogger } from '../logging/logger.ts';
import { createTask } from '../tasks/create-task.ts';
import { deleteTask } from '../tasks/delete-task.ts';
import { memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { addComment, commentsOf, purgeTaskComments } from './comments.ts';

setLogger(createLogger({ level: 'silent' }));

it('removes every comment of a deleted task, and a second run finds none', async () => {
  const deps = memoryDeps();
  await seedUser(deps, 'u1');
  const actor = { uid: 'u1', email: undefined, role: 'member' as const };
  const origin = { actorId: 'u1', correlationId: 'c' };
  const { task } = await createTask({ actor, origin, body: { title: 't' } }, deps);
  const { task: other } = await createTask({ actor, origin, body: { title: 'other' } }, deps);
  for (let i = 0; i < 450; i++) await addComment({ actor, taskId: task.id, body: `c${i}` }, deps);
  await addComment({ actor, taskId: other.id, body: 'stays' }, deps);
  await deleteTask({ actor, origin, id: task.id }, deps);

  expect(await purgeTaskComments({ taskId: task.id }, deps)).toBe(450);
  expect(deps.store.dump(commentsOf(task.id))).toEqual([]);
  expect(deps.store.dump(commentsOf(other.id))).toHaveLength(1);
  expect(await purgeTaskComments({ taskId: task.id }, deps)).toBe(0);
});
