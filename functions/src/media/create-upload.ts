/**
 * POST /v1/media/uploads: a pending media and a signed URL the client PUTs the bytes to
 * (with the headers it names); Idempotency-Key replays.
 */
import { http } from '@google-cloud/functions-framework';
import { createUpload } from '@taskman/shared/media/upload-media';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaCreateUpload.name,
  httpFunction(API.mediaCreateUpload, async ({ principal, body, idempotency }) => {
    const { media, upload, replayed } = await createUpload(
      { actor: principal, ...body, idempotency },
      appMediaDeps(),
    );
    return {
      status: 201,
      body: { media, upload },
      headers: {
        Location: `/v1/media/${media.id}`,
        'Cache-Control': 'no-store',
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  }),
);
