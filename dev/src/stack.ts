/**
 * What `npm start` and the test harness share: the stack's settings read from the
 * environment, the environment the functions run with, and the bring-up of a dev host
 * against running emulators (dev host, then topology, then buckets, then seed — in that
 * order so the events the seed publishes and the uploads' notifications find their topics,
 * push subscriptions and a listening host).
 */
import { MANIFEST } from '@taskman/functions/manifest';
import { parseMediaConfig } from '@taskman/shared/config/media-config';
import type { Logger } from 'pino';
import { type DevHost, startDevHost } from './dev-host.ts';
import type { EmulatorName } from './emulators.ts';
import { seedLocalAdmin } from './seed.ts';
import { prepareBuckets } from './storage.ts';
import { createTopology, type Topology } from './topology.ts';

/** A `demo-` project: the SDKs refuse to reach a real project with it. */
export const PROJECT_ID = 'demo-taskman';

export interface StackPorts extends Record<EmulatorName, number> {
  api: number;
  storage: number;
}

export const DEFAULT_PORTS: StackPorts = {
  api: 3000,
  firestore: 8080,
  pubsub: 8085,
  auth: 9099,
  storage: 9199,
};

const PORT_VARIABLE: Record<keyof StackPorts, string> = {
  api: 'API_PORT',
  firestore: 'FIRESTORE_PORT',
  pubsub: 'PUBSUB_PORT',
  auth: 'AUTH_PORT',
  storage: 'STORAGE_PORT',
};

/** A setting of the stack with a bad value; the message names the variable. */
export class StackConfigError extends Error {
  override name = 'StackConfigError';
}

function intFrom(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StackConfigError(`${variable}=${raw} is not a whole number between ${min} and ${max}.`);
  }
  return value;
}

/** Ports from `API_PORT`, `FIRESTORE_PORT`, `PUBSUB_PORT`, `AUTH_PORT`, `STORAGE_PORT`, else the defaults. */
export function portsFromEnv(env: NodeJS.ProcessEnv): StackPorts {
  const entries = Object.entries(PORT_VARIABLE) as [keyof StackPorts, string][];
  return Object.fromEntries(
    entries.map(([key, variable]) => [key, intFrom(env, variable, DEFAULT_PORTS[key], 1, 65_535)]),
  ) as unknown as StackPorts;
}

/** Milliseconds between scheduled ticks, from `SCHEDULE_TICK_MS` (0 turns them off). */
export function scheduleTickMsFromEnv(env: NodeJS.ProcessEnv): number {
  return intFrom(env, 'SCHEDULE_TICK_MS', 5_000, 0, 24 * 3_600_000);
}

/**
 * The media bucket of the stack: the media configuration's (`MEDIA_BUCKET`, else
 * `<project>-media`). Reading it validates every `MEDIA_*` setting, so a bad one stops the
 * start with a message naming the variable.
 */
export function mediaBucketFromEnv(env: NodeJS.ProcessEnv, projectId: string): string {
  try {
    return parseMediaConfig({ ...env, GOOGLE_CLOUD_PROJECT: projectId }).bucket;
  } catch (error) {
    throw new StackConfigError((error as Error).message);
  }
}

/** The environment the functions (and the SDKs under them) need against the emulators. */
export function functionEnv(options: {
  projectId: string;
  hosts: Record<EmulatorName, string>;
  apiPort: number;
  /** The storage emulator's base URL and the key file the functions sign URLs with. */
  storage: { url: string; signingKeyFile: string };
  mediaBucket: string;
  /** The key file standing in for the webhook keys' Secret Manager secret (`ensureKeyFile`). */
  webhookKeysFile: string;
}): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: options.projectId,
    FIRESTORE_EMULATOR_HOST: options.hosts.firestore,
    PUBSUB_EMULATOR_HOST: options.hosts.pubsub,
    FIREBASE_AUTH_EMULATOR_HOST: options.hosts.auth,
    STORAGE_EMULATOR_HOST: options.storage.url,
    STORAGE_SIGNING_KEY_FILE: options.storage.signingKeyFile,
    MEDIA_BUCKET: options.mediaBucket,
    WEBHOOK_KEYS_FILE: options.webhookKeysFile,
    // The Google SDKs otherwise probe the metadata server and warn when it is absent.
    METADATA_SERVER_DETECTION: 'none',
    API_PORT: String(options.apiPort),
    // Local receivers (tests, a developer's tool) listen on loopback; the cloud never allows it.
    WEBHOOKS_ALLOW_LOOPBACK: 'true',
  };
}

export interface ServeStackOptions {
  apiPort: number;
  projectId: string;
  pubsubHost: string;
  /** Base URL of the storage emulator. */
  storageUrl: string;
  mediaBucket: string;
  logger: Logger;
  scheduleTickMs: number;
}

/**
 * Starts the dev host, creates the Pub/Sub topology pointing at it, prepares the buckets
 * (creation, CORS, the notifications the storage triggers need) and seeds the admin.
 * The process environment must already be `functionEnv(...)`: the functions read it.
 */
export async function serveStack(options: ServeStackOptions): Promise<{ host: DevHost; topology: Topology }> {
  const host = await startDevHost({
    port: options.apiPort,
    manifest: MANIFEST,
    logger: options.logger,
    scheduleTickMs: options.scheduleTickMs,
    pubsubHost: options.pubsubHost,
    projectId: options.projectId,
    buckets: { media: options.mediaBucket },
  });
  try {
    const topology = await createTopology({
      manifest: MANIFEST,
      projectId: options.projectId,
      pubsubHost: options.pubsubHost,
      devHostUrl: host.url,
    });
    await prepareBuckets({
      storageUrl: options.storageUrl,
      projectId: options.projectId,
      buckets: { media: options.mediaBucket },
      notifications: topology.notifications,
    });
    await seedLocalAdmin();
    return { host, topology };
  } catch (error) {
    await host.close();
    throw error;
  }
}
