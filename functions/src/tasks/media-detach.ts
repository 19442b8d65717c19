/** DELETE /v1/tasks/{id}/media/{mediaId}: detach a media item from a task. */
import { http } from '@google-cloud/functions-framework';
import { detachMedia } from '@taskman/shared/media/attachments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.taskMediaDetach.name,
  httpFunction(API.taskMediaDetach, async ({ principal, params, context }) => {
    await detachMedia(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        taskId: params.id,
        mediaId: params.mediaId,
      },
      appDeps(),
    );
    return { status: 204 };
  }),
);
