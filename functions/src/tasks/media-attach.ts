/** POST /v1/tasks/{id}/media: attach a media item (201; 200 when already attached). */
import { http } from '@google-cloud/functions-framework';
import { attachMedia } from '@taskman/shared/media/attachments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.taskMediaAttach.name,
  httpFunction(API.taskMediaAttach, async ({ principal, params, body, context }) => {
    const { media, created } = await attachMedia(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        taskId: params.id,
        mediaId: body.mediaId,
      },
      appDeps(),
    );
    return { status: created ? 201 : 200, body: media };
  }),
);
