/** DELETE /v1/media/{id}: original and variants removed, detached from tasks; publishes `media.deleted`. */
import { http } from '@google-cloud/functions-framework';
import { deleteMedia } from '@taskman/shared/media/delete-media';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaDelete.name,
  httpFunction(API.mediaDelete, async ({ principal, params, context }) => {
    await deleteMedia(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        id: params.id,
      },
      appMediaDeps(),
    );
    return { status: 204 };
  }),
);
