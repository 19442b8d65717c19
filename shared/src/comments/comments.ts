/** Comments on a task: anyone who may see the task (owner, assignee, admin) may comment and read. */

import { pageOf } from '../application/cursor.ts';
import { type IdempotencyRequest, idempotent } from '../application/idempotency.ts';
import { type Comment, CommentSchema } from '../domain/comment.schema.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import { loadVisibleTask } from '../stores/task-store.ts';

/** Comments live under their task: `tasks/{taskId}/comments`. */
export const commentsOf = (taskId: string) => `tasks/${taskId}/comments`;

export async function addComment(
  req: { actor: Principal; taskId: string; body: string; idempotency?: IdempotencyRequest },
  deps: Deps,
): Promise<{ comment: Comment; replayed: boolean }> {
  const outcome = await deps.store.transact((tx) =>
    idempotent(tx, deps, req.idempotency, async () => {
      await loadVisibleTask(tx, req.taskId, req.actor);
      const comment: Comment = {
        id: deps.ids.newId(),
        taskId: req.taskId,
        authorId: req.actor.uid,
        body: req.body,
        createdAt: deps.clock.now().toISOString(),
      };
      tx.create(commentsOf(req.taskId), comment.id, comment);
      return comment;
    }),
  );
  return { comment: outcome.result, replayed: outcome.replayed };
}

export async function listComments(
  req: { actor: Principal; taskId: string; limit: number; cursor?: string },
  deps: Deps,
): Promise<Page<Comment>> {
  await loadVisibleTask(deps.store, req.taskId, req.actor);
  return pageOf(
    deps.store,
    {
      collection: commentsOf(req.taskId),
      where: [],
      orderBy: [
        { field: 'createdAt', direction: 'asc' },
        { field: DOC_ID, direction: 'asc' },
      ],
    },
    req.limit,
    req.cursor,
    (d) => CommentSchema.parse(d.data),
  );
}

/**
 * Deletes every comment of a deleted task, in batches (on `task.deleted`). Idempotent:
 * a redelivery finds fewer or no comments; a crash mid-way is finished by the retry.
 */
export async function purgeTaskComments(req: { taskId: string }, deps: Pick<Deps, 'store'>): Promise<number> {
  const { taskId } = req;
  let deleted = 0;
  for (;;) {
    const batch = await deps.store.query({
      collection: commentsOf(taskId),
      where: [],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      limit: 200,
    });
    if (batch.length === 0) return deleted;
    await deps.store.transact(async (tx) => {
      for (const c of batch) tx.delete(commentsOf(taskId), c.id);
    });
    deleted += batch.length;
  }
}
