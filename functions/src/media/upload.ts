/** POST /v1/media: one file in multipart/form-data (≤ 10 MiB), streamed to storage. */
import { http } from '@google-cloud/functions-framework';
import { AppError } from '@taskman/shared/errors/app-error';
import { uploadMedia } from '@taskman/shared/media/upload-media';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { readFilePart } from '@taskman/shared/runtime/multipart';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.mediaUpload.name,
  httpFunction(API.mediaUpload, async ({ principal, request }) => {
    const deps = appMediaDeps();
    const declared = Number(request.get('content-length') ?? 0);
    const limit = deps.media.maxMultipartBytes;
    // Part headers add a little; anything far over the limit is refused before reading.
    if (declared > limit + 64 * 1024) {
      request.resume();
      throw new AppError(
        'REQUEST.TOO_LARGE',
        `Files are limited to ${limit} bytes here; use POST /v1/media/uploads.`,
        {
          details: { limit },
        },
      );
    }
    const part = await readFilePart(request, 'file', limit);
    const media = await uploadMedia(
      { actor: principal, filename: part.filename, contentType: part.contentType, body: part.stream },
      deps,
    );
    return { status: 201, body: media, headers: { Location: `/v1/media/${media.id}` } };
  }),
);
