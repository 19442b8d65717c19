/**
 * processUpload, triggered by `google.cloud.storage.object.v1.finalized` on the media
 * bucket: runs the thumbnail pipeline for the object. Throwing asks Eventarc to retry.
 */
import { logs } from '@taskman/shared/logging/logs';
import { processUpload } from '@taskman/shared/media/process-upload';
import { storageEntry } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

storageEntry('processUpload', async (object) => {
  const result = await processUpload(object, appMediaDeps());
  logs.mediaPipeline(object.name, object.generation, result);
});
