/** optimizeMedia, on the `media-optimize` command topic: renders the requested optimized variant. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { CommandSchema } from '@taskman/shared/domain/command.schema';
import { AppError } from '@taskman/shared/errors/app-error';
import { optimizeMedia } from '@taskman/shared/media/optimize-media';
import { eventFunction } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/runtime/media-deps';

cloudEvent(
  'optimizeMedia',
  eventFunction('optimizeMedia', async (message) => {
    let json: unknown;
    try {
      json = JSON.parse(message.data.toString('utf8'));
    } catch {
      json = null;
    }
    const parsed = CommandSchema.safeParse(json);
    if (!parsed.success) throw new AppError('REQUEST.VALIDATION', 'Not an optimize command; dropped.');
    await optimizeMedia(parsed.data, appMediaDeps());
  }),
);
