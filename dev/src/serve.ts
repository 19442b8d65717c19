/**
 * The dev host as a process of its own, against emulators that already run: the test
 * harness starts it as a child (`node --import tsx dev/src/serve.ts`) with the stack's
 * environment. It creates the topology, prepares the buckets, seeds the admin, serves, and tells its parent
 * `{ ready: url }` over IPC. It stops on SIGTERM/SIGINT, and when its parent goes away.
 */
import { logger } from '@taskman/shared/logging/logger';
import { mediaBucketFromEnv, PROJECT_ID, portsFromEnv, scheduleTickMsFromEnv, serveStack } from './stack.ts';
import { storageUrlFrom } from './storage.ts';

/** What serve.ts sends its parent once it serves. */
export interface ServeReady {
  ready: string;
}

const env = process.env;
const pubsubHost = env.PUBSUB_EMULATOR_HOST;
const storageHost = env.STORAGE_EMULATOR_HOST;
const projectId = env.GOOGLE_CLOUD_PROJECT ?? PROJECT_ID;
if (!pubsubHost || !storageHost || !env.FIRESTORE_EMULATOR_HOST || !env.FIREBASE_AUTH_EMULATOR_HOST) {
  process.stderr.write(
    'serve.ts needs FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST and STORAGE_EMULATOR_HOST.\n',
  );
  process.exit(2);
}

const log = logger();
try {
  const { host } = await serveStack({
    apiPort: portsFromEnv(env).api,
    projectId,
    pubsubHost,
    storageUrl: storageUrlFrom(storageHost),
    mediaBucket: mediaBucketFromEnv(env, projectId),
    logger: log,
    scheduleTickMs: scheduleTickMsFromEnv(env),
  });
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await host.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
  log.info({ event: 'devhost.ready', url: host.url }, `Dev host ready on ${host.url}`);
  const ready: ServeReady = { ready: host.url };
  process.send?.(ready);
} catch (error) {
  log.fatal({ event: 'devhost.start_failed', err: error }, 'The dev host could not start');
  process.exit(1);
}
