/**
 * Deleting media: detach it from every task and delete its document with a
 * `media.deleted` event in one unit of work, then remove the original, its quarantined copy
 * and every variant from storage.
 */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import { VARIANTS_PREFIX } from '../config/media-config.ts';
import type { Principal } from '../domain/common.schema.ts';
import { logs } from '../logging/logs.ts';
import type { MediaDeps } from '../ports/deps.ts';
import { loadOwnMedia, MEDIA } from '../stores/media-store.ts';
import { fromTaskDoc, TASKS } from '../stores/task-store.ts';
import { saveTaskMedia } from './attachments.ts';

export async function deleteMedia(
  req: { actor: Principal; origin: EventOrigin; id: string },
  deps: MediaDeps,
): Promise<void> {
  const doc = await inUnitOfWork(deps, async (tx, emit) => {
    const media = await loadOwnMedia(tx, req.id, req.actor);
    for (const taskId of media.taskIds) {
      const task = await tx.get(TASKS, taskId);
      if (!task) continue;
      const t = fromTaskDoc(task.data);
      saveTaskMedia(
        tx,
        emit,
        deps,
        req.origin,
        t,
        t.mediaIds.filter((m) => m !== media.id),
      );
    }
    tx.delete(MEDIA, media.id);
    const event = newEvent(deps, 'media.deleted', req.origin, {
      mediaId: media.id,
      ownerId: media.ownerId,
      taskIds: media.taskIds,
    });
    emit(event);
    return media;
  });
  const objects = new Set([doc.object, ...doc.variantObjects.map((v) => v.object)]);
  // The copy a failed original left in quarantine is the media's too.
  if (deps.media.failedPrefix) objects.add(`${deps.media.failedPrefix}${doc.object}`);
  for (const name of await deps.blobs.list(doc.bucket, `${VARIANTS_PREFIX}${doc.id}/`)) objects.add(name);
  for (const name of objects) {
    await deps.blobs
      .delete(doc.bucket, name)
      .catch((error: unknown) => logs.mediaObjectOrphaned(name, error));
  }
}
