/**
 * Cloud Storage in the local stack: our own emulator (tools/storage-emulator), run inside
 * the process that owns the stack — `npm start`'s, or vitest's main process for the
 * integration tests — so it stops with that process whatever way it ends, `kill -9`
 * included, with no process group to reap. It persists under `.dev-stack/storage` for
 * `npm start` and keeps everything in memory for tests. One named by
 * `STORAGE_EMULATOR_HOST` that answers is reused instead, and never stopped by us.
 *
 * Also here: the dev signer (a service-account key the functions sign URLs with and the
 * emulator trusts) and the buckets' set-up through the official client — creation, CORS for
 * the web client, and the notification configurations the storage triggers need.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { consoleLog, type LogLevel } from '@taskman/storage-emulator/log';
import { startStorageEmulator } from '@taskman/storage-emulator/server';
import {
  generateDevSigner,
  type ServiceAccountKey,
  type TrustedSigner,
  trustedSignerFromKey,
} from '@taskman/storage-emulator/signing';
import { EmulatorStartError } from './emulators.ts';
import type { StorageNotification } from './topology.ts';

export const STORAGE_HOST_VARIABLE = 'STORAGE_EMULATOR_HOST';

export interface StorageServer {
  /** Base URL, e.g. `http://127.0.0.1:9199`: what `STORAGE_EMULATOR_HOST` holds. */
  url: string;
  /** False when an emulator already running was reused. */
  startedHere: boolean;
  /** Where its log lines go (only for an emulator started here). */
  logFile: string | undefined;
  /** Stops it; does nothing for a reused emulator. */
  stop(): Promise<void>;
}

/** `http://host:port` from `STORAGE_EMULATOR_HOST`, which may omit the scheme. */
export function storageUrlFrom(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/** True when a storage emulator answers its readiness probe (`GET /` → `Ok`) at `url`. */
export async function storageAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) });
    return res.ok && (await res.text()).trim() === 'Ok';
  } catch {
    return false;
  }
}

export interface StartStorageOptions {
  projectId: string;
  /** Port to listen on (127.0.0.1); 0 picks a free one. */
  port: number;
  /** `host:port` of the Pub/Sub emulator the notifications go to. */
  pubsubHost: string;
  trustedSigners: TrustedSigner[];
  /** Keep buckets and objects here across restarts; omit to keep them in memory. */
  dataDir?: string;
  /** JSON lines of the emulator go here (truncated at start). */
  logFile: string;
  logLevel?: LogLevel;
  /** `STORAGE_EMULATOR_HOST` of an emulator to reuse instead of starting one. */
  reuse?: string;
}

/** Starts the storage emulator in this process (or reuses a running one). */
export async function startStorage(options: StartStorageOptions): Promise<StorageServer> {
  if (options.reuse) {
    const url = storageUrlFrom(options.reuse);
    if (!(await storageAnswers(url))) {
      throw new EmulatorStartError(
        `${STORAGE_HOST_VARIABLE}=${options.reuse}, but no storage emulator answers there. Start it, or unset ${STORAGE_HOST_VARIABLE} to let the stack start one.`,
      );
    }
    return { url, startedHere: false, logFile: undefined, stop: async () => {} };
  }
  mkdirSync(dirname(options.logFile), { recursive: true });
  // Written synchronously: the lines are there even if the process is killed a moment later.
  const fd = openSync(options.logFile, 'w');
  let open = true;
  const log = consoleLog(options.logLevel ?? 'debug', (line) => {
    if (open) writeSync(fd, line);
    return true;
  });
  const closeLog = () => {
    if (open) closeSync(fd);
    open = false;
  };
  try {
    const emulator = await startStorageEmulator({
      port: options.port,
      projectId: options.projectId,
      pubsubEmulatorHost: options.pubsubHost,
      trustedSigners: options.trustedSigners,
      logger: log,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    let stopped: Promise<void> | undefined;
    return {
      url: emulator.url,
      startedHere: true,
      logFile: options.logFile,
      stop() {
        stopped ??= emulator.close().finally(closeLog);
        return stopped;
      },
    };
  } catch (error) {
    closeLog();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new EmulatorStartError(
        `Storage: port ${options.port} is in use. Stop what holds it, choose another port (STORAGE_PORT), or set ${STORAGE_HOST_VARIABLE}=http://127.0.0.1:${options.port} to reuse it if it is a storage emulator.`,
      );
    }
    throw error;
  }
}

export interface DevSignerFile {
  /** The service-account key file: `STORAGE_SIGNING_KEY_FILE` of the functions. */
  keyFile: string;
  clientEmail: string;
  /** For the emulator's `trustedSigners`. */
  trustedSigner: TrustedSigner;
}

/**
 * The stack's URL-signing key: read from `keyFile` when `reuseExisting` and it holds a key
 * (URLs signed before a restart keep working against persisted data), else generated and
 * written there (mode 600). Nothing about it is known to Google.
 */
export async function devSignerFile(
  keyFile: string,
  projectId: string,
  options: { reuseExisting: boolean },
): Promise<DevSignerFile> {
  if (options.reuseExisting && existsSync(keyFile)) {
    try {
      const key = JSON.parse(readFileSync(keyFile, 'utf8')) as ServiceAccountKey;
      if (typeof key.client_email === 'string' && typeof key.private_key === 'string') {
        return { keyFile, clientEmail: key.client_email, trustedSigner: trustedSignerFromKey(key) };
      }
    } catch {
      // Unreadable: replaced below.
    }
  }
  const signer = await generateDevSigner({ projectId });
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify(signer.serviceAccount, null, 2)}\n`, { mode: 0o600 });
  return { keyFile, clientEmail: signer.clientEmail, trustedSigner: signer.trustedSigner };
}

/**
 * CORS of the local buckets: any origin may PUT, POST (resumable start), GET and HEAD with
 * the headers a signed upload or download uses. In the cloud, Terraform sets the web
 * client's origins instead of `*`.
 */
export const LOCAL_BUCKET_CORS = [
  {
    origin: ['*'],
    method: ['GET', 'HEAD', 'PUT', 'POST'],
    responseHeader: [
      'Content-Type',
      'Content-Range',
      'Content-MD5',
      'Range',
      'ETag',
      'Location',
      'x-goog-resumable',
      'x-goog-content-sha256',
      'x-goog-if-generation-match',
      'x-goog-content-length-range',
      'x-goog-hash',
      'x-goog-generation',
    ],
    maxAgeSeconds: 3600,
  },
];

export interface PrepareBucketsOptions {
  storageUrl: string;
  projectId: string;
  /** The manifest's bucket keys to the real bucket names, e.g. `{ media: 'demo-taskman-media' }`. */
  buckets: Record<string, string>;
  /** What the storage triggers need (from `planTopology`); topics must exist already. */
  notifications: readonly StorageNotification[];
}

const sameTypes = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i]);

/**
 * Creates each bucket if absent, sets its CORS, and makes its notification configurations
 * match the plan: one per topic with exactly the planned event types and the whole bucket
 * (Eventarc cannot filter storage events by prefix either), a stale one on that topic
 * replaced. Safe to run on every start, persisted data or not.
 */
export async function prepareBuckets(options: PrepareBucketsOptions): Promise<void> {
  const { Storage } = await import('@google-cloud/storage');
  const storage = new Storage({ apiEndpoint: options.storageUrl, projectId: options.projectId });
  for (const [key, name] of Object.entries(options.buckets)) {
    const bucket = storage.bucket(name);
    const [exists] = await bucket.exists();
    if (!exists) {
      try {
        await storage.createBucket(name);
      } catch (error) {
        // Created meanwhile (two stacks on one emulator): fine.
        if ((error as { code?: unknown }).code !== 409) throw error;
      }
    }
    await bucket.setCorsConfiguration(LOCAL_BUCKET_CORS);
    const [existing] = await bucket.getNotifications();
    for (const wanted of options.notifications.filter((n) => n.bucket === key)) {
      const topic = `projects/${options.projectId}/topics/${wanted.topic}`;
      let found = false;
      for (const notification of existing) {
        const meta = notification.metadata as {
          topic?: string;
          event_types?: string[];
          object_name_prefix?: string;
          payload_format?: string;
        };
        if (!meta.topic?.endsWith(topic)) continue;
        const same =
          !found &&
          sameTypes(meta.event_types ?? [], wanted.eventTypes) &&
          !meta.object_name_prefix &&
          meta.payload_format === 'JSON_API_V1';
        if (same) found = true;
        else await notification.delete();
      }
      if (!found) {
        await bucket.createNotification(topic, {
          eventTypes: [...wanted.eventTypes],
          payloadFormat: 'JSON_API_V1',
        });
      }
    }
  }
}
