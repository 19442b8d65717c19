/** optimizeMedia, on the `media-optimize` command topic: renders the requested optimized variant. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { requireMessage } from '@taskman/shared/application/consumer';
import { CommandSchema } from '@taskman/shared/domain/command.schema';
import { optimizeMedia } from '@taskman/shared/media/optimize-media';
import { eventFunction } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

cloudEvent(
  'optimizeMedia',
  eventFunction('optimizeMedia', async (message) => {
    const command = requireMessage(message, CommandSchema, 'an optimize command');
    await optimizeMedia(command, appMediaDeps());
  }),
);
