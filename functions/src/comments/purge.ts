/**
 * purgeTaskComments, on `task-events`: when a task is deleted, its comments (a
 * subcollection nobody can reach any more) are deleted too. Other events are ignored.
 */
import { requireMessage } from '@taskman/shared/application/consumer';
import { purgeTaskComments } from '@taskman/shared/comments/comments';
import { EventEnvelopeSchema } from '@taskman/shared/domain/event.schema';
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

eventEntry('purgeTaskComments', async (message) => {
  if (message.attributes.eventType && message.attributes.eventType !== 'task.deleted') return;
  const envelope = requireMessage(message, EventEnvelopeSchema, 'an event envelope');
  if (envelope.eventType !== 'task.deleted') return;
  await purgeTaskComments({ taskId: envelope.data.task.id }, appDeps());
});
