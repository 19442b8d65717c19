/** GET /v1/media/{id}/download: 302 to a short-lived signed URL of the original. */
import { http } from '@google-cloud/functions-framework';
import { downloadUrl } from '@taskman/shared/media/media-queries';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaDownload.name,
  httpFunction(API.mediaDownload, async ({ principal, params }) => ({
    status: 302,
    headers: {
      Location: await downloadUrl({ actor: principal, id: params.id }, appMediaDeps()),
      'Cache-Control': 'private, no-store',
    },
  })),
);
