/** GET /v1/media: the caller's media, newest first; `taskId`, `status`; admins may pass `ownerId`. */
import { http } from '@google-cloud/functions-framework';
import { listMedia } from '@taskman/shared/media/media-queries';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaList.name,
  httpFunction(API.mediaList, async ({ principal, query }) => ({
    status: 200,
    body: await listMedia({ actor: principal, ...query }, appMediaDeps()),
  })),
);
