/** GET /v1/media/{id}: one media item of the caller's (404 for anyone else). */
import { http } from '@google-cloud/functions-framework';
import { getMedia } from '@taskman/shared/media/media-queries';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaGet.name,
  httpFunction(API.mediaGet, async ({ principal, params }) => ({
    status: 200,
    body: await getMedia({ actor: principal, id: params.id }, appMediaDeps()),
    headers: { 'Cache-Control': 'private, no-cache' },
  })),
);
