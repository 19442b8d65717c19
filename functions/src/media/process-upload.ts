/**
 * processUpload, triggered by `google.cloud.storage.object.v1.finalized` on the media
 * bucket: runs the thumbnail pipeline for the object. Throwing asks Eventarc to retry.
 */
import { cloudEvent } from '@google-cloud/functions-framework';
import { logger } from '@taskman/shared/logging/logger';
import { processUpload } from '@taskman/shared/media/process-upload';
import { storageEventFunction } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

cloudEvent(
  'processUpload',
  storageEventFunction('processUpload', async (object) => {
    const result = await processUpload(object, appMediaDeps());
    logger().info(
      { event: 'media.pipeline', object: object.name, generation: object.generation, ...result },
      `Upload ${result.outcome}`,
    );
  }),
);
