/** POST /v1/media: one file in multipart/form-data (≤ 10 MiB), streamed to storage. */
import { http } from '@google-cloud/functions-framework';
import { FilenameSchema } from '@taskman/shared/domain/media.schema';
import { AppError, validationError } from '@taskman/shared/errors/app-error';
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
    // The same rules as the name given to POST /v1/media/uploads.
    const filename = FilenameSchema.safeParse(part.filename);
    if (!filename.success) {
      part.stream.resume();
      throw validationError(filename.error.issues.map((i) => ({ path: 'filename', reason: i.message })));
    }
    const media = await uploadMedia(
      { actor: principal, filename: filename.data, contentType: part.contentType, body: part.stream },
      deps,
    );
    return { status: 201, body: media, headers: { Location: `/v1/media/${media.id}` } };
  }),
);
