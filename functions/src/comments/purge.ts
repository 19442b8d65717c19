/**
 * purgeTaskComments, on `task-events`: when a task is deleted, its comments (a
 * subcollection nobody can reach any more) are deleted too, in batches, outside any one
 * unit of work. Other events are ignored; a malformed one is dead-lettered.
 */
import { EVENT_MESSAGE } from '@taskman/shared/application/consumer';
import { purgeTaskComments } from '@taskman/shared/comments/comments';
import { parsedEntry } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

parsedEntry(
  'purgeTaskComments',
  EVENT_MESSAGE,
  async (envelope) => {
    if (envelope.eventType === 'task.deleted')
      await purgeTaskComments({ taskId: envelope.data.task.id }, appDeps());
  },
  appDeps,
);
