/**
 * `startStorageEmulator(options)`: a local Cloud Storage server that the unmodified
 * `@google-cloud/storage` client talks to through `STORAGE_EMULATOR_HOST` (or
 * `apiEndpoint`), that verifies V4 signed URLs made with trusted keys, and that publishes
 * GCS-format object notifications to the Pub/Sub emulator. Objects live in memory, or under
 * `dataDir` to survive restarts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type BlobStore, DiskBlobStore, MemoryBlobStore } from './blobs.ts';
import type { Deps } from './deps.ts';
import { consoleLog, type Log } from './log.ts';
import { Notifier, notificationFromJson, type RetryPolicy } from './notifications.ts';
import { DiskPersistence, noPersistence, type Persistence } from './persistence.ts';
import type { EventType, NotificationConfig } from './records.ts';
import { projectNumberOf } from './resources.ts';
import { createRequestHandler } from './router.ts';
import { SignatureVerifier, type TrustedSigner } from './signing.ts';
import { Store } from './store.ts';
import { UploadSessions } from './upload-sessions.ts';

/** A notification configuration to ensure at start-up (created unless an identical one exists). */
export interface StartupNotification {
  bucket: string;
  /** `TOPIC` (in `projectId`), `projects/P/topics/T` or `//pubsub.googleapis.com/projects/P/topics/T`. */
  topic: string;
  /** Default: every event type. */
  eventTypes?: EventType[];
  objectNamePrefix?: string;
  payloadFormat?: 'JSON_API_V1' | 'NONE';
  customAttributes?: Record<string, string>;
}

export interface StorageEmulatorOptions {
  /** 0: any free port (see `url`). */
  port: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  projectId: string;
  /** `host:port` of the Pub/Sub emulator that receives notifications (as in `PUBSUB_EMULATOR_HOST`). */
  pubsubEmulatorHost?: string;
  /** Service accounts whose V4 signed URLs are honoured. */
  trustedSigners?: TrustedSigner[];
  /** Keep buckets and objects under this directory across restarts; default: memory only. */
  dataDir?: string;
  /** Buckets to create at start-up if missing. */
  buckets?: string[];
  notifications?: StartupNotification[];
  /** Default: JSON lines on stderr at info level. A pino logger fits. */
  logger?: Log;
  /** Milliseconds since the epoch; for tests of expiry. */
  clock?: () => number;
  /** How notifications are retried; default 5 tries from 250 ms, doubling. */
  publishRetry?: RetryPolicy;
}

export interface StorageEmulator {
  /** `http://host:port`: give it to the client as `STORAGE_EMULATOR_HOST` or `apiEndpoint`. */
  url: string;
  port: number;
  /** Resolves once every notification queued so far is published or given up on. */
  notificationsIdle(): Promise<void>;
  close(): Promise<void>;
}

export async function startStorageEmulator(options: StorageEmulatorOptions): Promise<StorageEmulator> {
  const clock = options.clock ?? Date.now;
  const log = options.logger ?? consoleLog('info');
  const host = options.host ?? '127.0.0.1';
  let blobs: BlobStore = new MemoryBlobStore();
  let persistence: Persistence = noPersistence;
  if (options.dataDir) {
    blobs = await DiskBlobStore.open(join(options.dataDir, 'blobs'));
    persistence = await DiskPersistence.open(options.dataDir);
  }
  const store = await Store.open({ blobs, persistence, clock });
  for (const bucket of options.buckets ?? []) {
    if (!store.listBuckets().some((b) => b.name === bucket)) await store.createBucket(bucket);
  }
  for (const wanted of options.notifications ?? [])
    await ensureNotification(store, wanted, options.projectId);

  let url = '';
  const notifier = new Notifier({
    store,
    log,
    pubsubEmulatorHost: options.pubsubEmulatorHost?.replace(/^https?:\/\//, '').replace(/\/+$/, ''),
    baseUrl: () => url,
    ...(options.publishRetry ? { retry: options.publishRetry } : {}),
  });
  const sessions = new UploadSessions(() => store.createWriter(), clock);
  const deps: Deps = {
    store,
    sessions,
    verifier: new SignatureVerifier(options.trustedSigners ?? [], clock),
    projectId: options.projectId,
    projectNumber: projectNumberOf(options.projectId),
    log,
  };
  const server = createServer(createRequestHandler(deps));
  // Longer than client agents keep idle sockets, so the server never closes one the client
  // is about to reuse (a reset the client would see as a failed request).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${urlHost(host)}:${port}`;
  log.info(
    { url, dataDir: options.dataDir ?? null, pubsub: options.pubsubEmulatorHost ?? null },
    `storage emulator listening on ${url}`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    notificationsIdle: () => notifier.idle(),
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await notifier.close();
        await sessions.close();
      })();
      return closing;
    },
  };
}

async function ensureNotification(
  store: Store,
  wanted: StartupNotification,
  projectId: string,
): Promise<void> {
  const topic = wanted.topic.includes('/') ? wanted.topic : `projects/${projectId}/topics/${wanted.topic}`;
  const config = notificationFromJson(
    {
      topic,
      event_types: wanted.eventTypes ?? [],
      payload_format: wanted.payloadFormat ?? 'JSON_API_V1',
      ...(wanted.objectNamePrefix ? { object_name_prefix: wanted.objectNamePrefix } : {}),
      ...(wanted.customAttributes ? { custom_attributes: wanted.customAttributes } : {}),
    },
    projectId,
  );
  const same = (n: NotificationConfig) =>
    JSON.stringify({ ...n, id: '' }) === JSON.stringify({ ...config, id: '' });
  if (!store.bucket(wanted.bucket).notifications.some(same)) {
    await store.addNotification(wanted.bucket, config);
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
