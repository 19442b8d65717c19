/** GET /v1/media/{id}/thumbnail?size=: 302 to a short-lived signed URL of the variant; 404 until it exists. */
import { http } from '@google-cloud/functions-framework';
import { variantUrl } from '@taskman/shared/media/media-queries';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaThumbnail.name,
  httpFunction(API.mediaThumbnail, async ({ principal, params, query }) => ({
    status: 302,
    headers: {
      Location: await variantUrl({ actor: principal, id: params.id, size: query.size }, appMediaDeps()),
      'Cache-Control': 'private, no-store',
    },
  })),
);
