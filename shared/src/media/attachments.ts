/**
 * Task attachments: the task keeps `mediaIds` in attachment order, each media keeps the
 * `taskIds` it is attached to; both sides change in one unit of work. Only the task's
 * owner or an admin attaches, and only media the caller owns. Both sides are capped
 * (ATTACHMENT_LIMITS), so deleting a task or a media stays one commit. A gallery shows a
 * media's `taskIds` only for the tasks its viewer may see.
 */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { type Emit, inUnitOfWork } from '../application/unit-of-work.ts';
import type { Principal } from '../domain/common.schema.ts';
import { ATTACHMENT_LIMITS } from '../domain/media.rules.ts';
import type { Media } from '../domain/media.schema.ts';
import { canManage, canSee, relationTo } from '../domain/task.rules.ts';
import type { Task } from '../domain/task.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import type { Transaction } from '../ports/document-store.ts';
import { fromMediaDoc, MEDIA, type MediaDoc, mediaNotFound } from '../stores/media-store.ts';
import { fromTaskDoc, loadVisibleTask, TASKS, toTaskDoc } from '../stores/task-store.ts';

/** Saves a task whose media list changed, with its `task.updated` event. */
export function saveTaskMedia(
  tx: Transaction,
  emit: Emit,
  deps: Pick<Deps, 'clock' | 'ids' | 'serviceId'>,
  origin: EventOrigin,
  task: Task,
  mediaIds: string[],
): void {
  const next: Task = {
    ...task,
    mediaIds,
    version: task.version + 1,
    updatedAt: deps.clock.now().toISOString(),
  };
  tx.set(TASKS, task.id, toTaskDoc(next));
  const event = newEvent(deps, 'task.updated', origin, {
    task: next,
    changedFields: ['mediaIds'],
    previous: { mediaIds: task.mediaIds },
  });
  emit(event);
}

async function loadManagedTask(tx: Transaction, id: string, actor: Principal): Promise<Task> {
  const { task, relation } = await loadVisibleTask(tx, id, actor);
  if (!canManage(relation))
    throw new AppError('AUTH.FORBIDDEN', "Only the task's owner or an admin may change its media.");
  return task;
}

export async function attachMedia(
  req: { actor: Principal; origin: EventOrigin; taskId: string; mediaId: string },
  deps: Deps,
): Promise<{ media: Media; created: boolean }> {
  const result = await inUnitOfWork(deps, async (tx, emit) => {
    const task = await loadManagedTask(tx, req.taskId, req.actor);
    const media = (await tx.get<MediaDoc>(MEDIA, req.mediaId))?.data;
    if (!media || media.ownerId !== req.actor.uid) throw mediaNotFound();
    if (task.mediaIds.includes(media.id)) return { media: fromMediaDoc(media), created: false };
    if (task.mediaIds.length >= ATTACHMENT_LIMITS.mediaPerTask) {
      throw attachmentLimit(
        `A task holds at most ${ATTACHMENT_LIMITS.mediaPerTask} media; detach one first.`,
      );
    }
    if (media.taskIds.length >= ATTACHMENT_LIMITS.tasksPerMedia) {
      throw attachmentLimit(
        `A media is attached to at most ${ATTACHMENT_LIMITS.tasksPerMedia} tasks; detach it from one first.`,
      );
    }
    const nextMedia: MediaDoc = {
      ...media,
      taskIds: [...media.taskIds, task.id],
      updatedAt: deps.clock.now().toISOString(),
    };
    tx.set(MEDIA, media.id, nextMedia);
    saveTaskMedia(tx, emit, deps, req.origin, task, [...task.mediaIds, media.id]);
    return { media: fromMediaDoc(nextMedia), created: true };
  });
  return result;
}

export async function detachMedia(
  req: { actor: Principal; origin: EventOrigin; taskId: string; mediaId: string },
  deps: Deps,
): Promise<void> {
  await inUnitOfWork(deps, async (tx, emit) => {
    const task = await loadManagedTask(tx, req.taskId, req.actor);
    if (!task.mediaIds.includes(req.mediaId))
      throw new AppError('MEDIA.NOT_FOUND', 'This media is not attached to the task.');
    const media = (await tx.get<MediaDoc>(MEDIA, req.mediaId))?.data;
    if (media) {
      tx.set(MEDIA, media.id, {
        ...media,
        taskIds: media.taskIds.filter((t) => t !== task.id),
        updatedAt: deps.clock.now().toISOString(),
      });
    }
    saveTaskMedia(
      tx,
      emit,
      deps,
      req.origin,
      task,
      task.mediaIds.filter((m) => m !== req.mediaId),
    );
  });
}

const attachmentLimit = (message: string) =>
  new AppError('MEDIA.ATTACHMENT_LIMIT', message, {
    details: { mediaPerTask: ATTACHMENT_LIMITS.mediaPerTask, tasksPerMedia: ATTACHMENT_LIMITS.tasksPerMedia },
  });

/** The media of a task anyone who sees the task may see, in attachment order. */
export async function taskGallery(req: { actor: Principal; taskId: string }, deps: Deps): Promise<Media[]> {
  const { task } = await loadVisibleTask(deps.store, req.taskId, req.actor);
  return mediaOfTask({ task, viewer: req.actor }, deps);
}

/**
 * The media of `task` as `viewer` (who sees the task) may see them: each media's `taskIds`
 * keeps only the tasks the viewer may see too (the owner's other tasks are not the
 * assignee's business).
 */
export async function mediaOfTask(
  { task, viewer }: { task: Task; viewer: Principal },
  deps: Pick<Deps, 'store'>,
): Promise<Media[]> {
  const docs = await Promise.all(task.mediaIds.map((id) => deps.store.get<MediaDoc>(MEDIA, id)));
  const media = docs.flatMap((d) => (d ? [fromMediaDoc(d.data)] : []));
  const others = new Set(media.flatMap((m) => m.taskIds).filter((id) => id !== task.id));
  const visible = new Set([task.id]);
  await Promise.all(
    [...others].map(async (id) => {
      const other = await deps.store.get(TASKS, id);
      if (other && canSee(relationTo(fromTaskDoc(other.data), viewer))) visible.add(id);
    }),
  );
  return media.map((m) => ({ ...m, taskIds: m.taskIds.filter((id) => visible.has(id)) }));
}
