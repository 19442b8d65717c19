/**
 * optimizeMedia, on the `media-optimize` command topic: renders the requested optimized
 * variant. A malformed command (or one that can never succeed) is dead-lettered with its
 * reason, as a malformed event is.
 */
import { consumeCommand } from '@taskman/shared/application/consumer';
import { OptimizeCommandSchema } from '@taskman/shared/domain/command.schema';
import { optimizeMedia } from '@taskman/shared/media/optimize-media';
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

eventEntry('optimizeMedia', async (message) => {
  const deps = appMediaDeps();
  await consumeCommand(
    'optimizeMedia',
    message,
    { schema: OptimizeCommandSchema, what: 'an optimize command' },
    (command) => optimizeMedia(command, deps),
    deps,
  );
});
