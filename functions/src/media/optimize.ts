/** POST /v1/media/{id}/optimize: queue an `optimized-<format>` variant; 202 with the media. */
import { http } from '@google-cloud/functions-framework';
import { requestOptimization } from '@taskman/shared/media/optimize-media';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaOptimize.name,
  httpFunction(API.mediaOptimize, async ({ principal, params, body, context }) => ({
    status: 202,
    body: await requestOptimization(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        id: params.id,
        format: body.format,
        ...(body.quality !== undefined ? { quality: body.quality } : {}),
        ...(body.maxWidth !== undefined ? { maxWidth: body.maxWidth } : {}),
      },
      appMediaDeps(),
    ),
    headers: { Location: `/v1/media/${params.id}` },
  })),
);
