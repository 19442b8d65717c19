/** optimizeMedia, on the `media-optimize` command topic: renders the requested optimized variant. */
import { optimizeMedia } from '@taskman/shared/media/optimize-media';
import { commandEntry } from '@taskman/shared/runtime/event-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';

commandEntry('optimizeMedia', (command) => optimizeMedia(command, appMediaDeps()), appMediaDeps);
