/** optimizeMedia, on the `media-optimize` command topic: renders the requested optimized variant. */
import { requireMessage } from '@taskman/shared/application/consumer';
import { CommandSchema } from '@taskman/shared/domain/command.schema';
import { optimizeMedia } from '@taskman/shared/media/optimize-media';
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

eventEntry('optimizeMedia', async (message) => {
  const command = requireMessage(message, CommandSchema, 'an optimize command');
  await optimizeMedia(command, appMediaDeps());
});
