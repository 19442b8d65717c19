/**
 * vitest globalSetup of the integration project: a whole stack of its own for the run, on
 * free ports so it can run next to `npm start`. Emulators start here — the storage emulator
 * inside this process, in memory, so it ends with this process however it ends — and the
 * dev host runs as a child (`serve.ts`), which also creates the topology, prepares the
 * buckets and seeds the admin. Tests get the addresses through `inject(...)`. Teardown stops
 * everything, whether tests passed or not; if this process dies without tearing down, the
 * reaper (see process-group.ts) and the child's IPC disconnect do it. Logs (and the run's
 * URL-signing key) go to `.dev-stack/test/<run>/` (the last few runs kept).
 *
 * Every anonymous call reaches the one dev host from the same address, so the per-address
 * limits are raised (`RATE_LIMIT_PER_MINUTE`, `AUTH_FAILURES_PER_MINUTE`) for suites that
 * register, sign in and send bad tokens a lot.
 *
 * `INTEGRATION_REUSE=1` runs the tests against the stack `npm start` already runs (default
 * ports, or the `*_PORT` / `*_EMULATOR_HOST` variables) and starts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKeyFile } from '@taskman/shared/adapters/secret-manager/file-keyring';
import type { TestProject } from 'vitest/node';
import {
  EMULATOR_NAMES,
  type Emulator,
  type EmulatorName,
  freePorts,
  logTail,
  reuseFromEnv,
  startEmulators,
  stopEmulators,
} from './emulators.ts';
import { guardGroup, stopGroup } from './process-group.ts';
import type { ServeReady } from './serve.ts';
import { functionEnv, mediaBucketFromEnv, PROJECT_ID, portsFromEnv } from './stack.ts';
import { devSignerFile, type StorageServer, startStorage, storageUrlFrom } from './storage.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the API, ending in `/v1`. */
    apiUrl: string;
    firestoreHost: string;
    pubsubHost: string;
    authHost: string;
    /** Base URL of the storage emulator (`STORAGE_EMULATOR_HOST`), e.g. `http://127.0.0.1:9199`. */
    storageHost: string;
    /** The media bucket the functions use (`MEDIA_BUCKET`). */
    mediaBucket: string;
    projectId: string;
    /** The webhook key file the dev host reads (`WEBHOOK_KEYS_FILE`); adding a version rotates the keys. */
    webhookKeysFile: string;
  }
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const LOGS_ROOT = resolve(REPO_ROOT, '.dev-stack', 'test');
/** Runs whose logs are kept (older ones are pruned at setup). */
const KEEP_RUNS = 5;
const DEV_HOST_READY_MS = 120_000;
const HEALTH_MS = 60_000;
/** Per anonymous caller per minute: every test request comes from one address. */
const TEST_RATE_LIMIT = '100000';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A log directory of this run's own, so runs side by side (two terminals, an editor's test
 * runner) do not overwrite each other's logs; the oldest beyond KEEP_RUNS are removed.
 */
function runLogDir(): string {
  mkdirSync(LOGS_ROOT, { recursive: true });
  const runs = readdirSync(LOGS_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - (KEEP_RUNS - 1)))) {
    rmSync(join(LOGS_ROOT, old), { recursive: true, force: true });
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = join(LOGS_ROOT, `${stamp}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Polls `GET {apiUrl}/health` until 200; throws with the last answer otherwise. */
async function waitForHealth(apiUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
      last = `${res.status} ${(await res.text()).slice(0, 500)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw new Error(`GET ${apiUrl}/health did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

function provideAll(
  project: TestProject,
  apiUrl: string,
  hosts: Record<EmulatorName, string>,
  storage: { url: string; mediaBucket: string },
  webhookKeysFile: string,
): void {
  project.provide('apiUrl', apiUrl);
  project.provide('firestoreHost', hosts.firestore);
  project.provide('pubsubHost', hosts.pubsub);
  project.provide('authHost', hosts.auth);
  project.provide('storageHost', storage.url);
  project.provide('mediaBucket', storage.mediaBucket);
  project.provide('projectId', PROJECT_ID);
  project.provide('webhookKeysFile', webhookKeysFile);
}

async function reuseRunningStack(project: TestProject): Promise<() => Promise<void>> {
  const ports = portsFromEnv(process.env);
  const named = reuseFromEnv(process.env);
  const hosts = Object.fromEntries(
    EMULATOR_NAMES.map((n) => [n, named[n] ?? `127.0.0.1:${ports[n]}`]),
  ) as Record<EmulatorName, string>;
  const apiUrl = `http://127.0.0.1:${ports.api}/v1`;
  await waitForHealth(apiUrl, 5_000).catch((error: unknown) => {
    throw new Error(
      `INTEGRATION_REUSE=1, but no running stack answers (start one with \`npm start\`): ${error}`,
    );
  });
  provideAll(
    project,
    apiUrl,
    hosts,
    {
      url: storageUrlFrom(process.env.STORAGE_EMULATOR_HOST ?? `127.0.0.1:${ports.storage}`),
      mediaBucket: mediaBucketFromEnv(process.env, PROJECT_ID),
    },
    process.env.WEBHOOK_KEYS_FILE ?? resolve(REPO_ROOT, '.dev-stack', 'webhook-keys.json'),
  );
  return async () => {};
}

/** The environment of the dev host child: ours, minus vitest's, plus the stack's. */
function childEnv(stack: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_ENV') env[key] = value;
  }
  return { ...env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'debug', ...stack };
}

/** Resolves once the child says it serves; rejects when it exits or takes too long. */
function waitForReady(child: ChildProcess, logFile: string): Promise<string> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(
        new Error(
          `The dev host was not ready within ${DEV_HOST_READY_MS / 1000} s. ${logFile}:\n${logTail(logFile)}`,
        ),
      );
    }, DEV_HOST_READY_MS);
    const onMessage = (message: unknown) => {
      const ready = (message as Partial<ServeReady> | null)?.ready;
      if (typeof ready !== 'string') return;
      finish();
      resolveReady(ready);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      finish();
      reject(
        new Error(
          `The dev host exited (${signal ?? `code ${code}`}) before serving. ${logFile}:\n${logTail(logFile)}`,
        ),
      );
    };
    const finish = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Test files use Google SDKs against the emulators too, and their workers inherit this
  // environment: without it each client probes the metadata server and warns.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  if (process.env.INTEGRATION_REUSE === '1') return reuseRunningStack(project);

  const startedAt = Date.now();
  const logDir = runLogDir();
  const [api, firestore, pubsub, auth, storagePort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const mediaBucket = mediaBucketFromEnv(process.env, PROJECT_ID);
  const emulators: Emulator[] = [];
  let storage: StorageServer | undefined;
  let child: ChildProcess | undefined;
  let release: (() => void) | undefined;

  const teardown = async () => {
    const pid = child?.pid;
    if (pid !== undefined) {
      await stopGroup(pid);
      release?.();
    }
    await storage?.stop();
    await stopEmulators(Object.fromEntries(emulators.map((e) => [e.name, e])));
  };

  try {
    // Never someone else's storage either; a fresh signing key per run, trusted by this one only.
    const signer = await devSignerFile(join(logDir, 'storage-signer.json'), PROJECT_ID, {
      reuseExisting: false,
    });
    // A fresh webhook key per run too, in the run's own directory.
    const webhookKeysFile = join(logDir, 'webhook-keys.json');
    await ensureKeyFile(webhookKeysFile);
    storage = await startStorage({
      projectId: PROJECT_ID,
      port: storagePort,
      pubsubHost: `127.0.0.1:${pubsub}`,
      trustedSigners: [signer.trustedSigner],
      logFile: join(logDir, 'storage.log'),
    });
    const running = await startEmulators({
      projectId: PROJECT_ID,
      ports: { firestore, pubsub, auth },
      // Never someone else's emulators: tests write and would see each other's data.
      reuse: {},
      logDir,
      onSpawn: (e) => emulators.push(e),
    });
    const emulatorsUpAt = Date.now();
    const hosts = Object.fromEntries(EMULATOR_NAMES.map((n) => [n, running[n].host])) as Record<
      EmulatorName,
      string
    >;

    const logFile = join(logDir, 'dev-host.log');
    const fd = openSync(logFile, 'w');
    try {
      child = spawn(process.execPath, ['--import', 'tsx', SERVE], {
        cwd: REPO_ROOT,
        env: childEnv({
          ...functionEnv({
            projectId: PROJECT_ID,
            hosts,
            apiPort: api,
            storage: { url: storage.url, signingKeyFile: signer.keyFile },
            mediaBucket,
            webhookKeysFile,
          }),
          RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
          AUTH_FAILURES_PER_MINUTE: TEST_RATE_LIMIT,
          // Webhook retries within seconds: the dev host's scheduled ticks drive them.
          WEBHOOK_RETRY_BASE_MS: '100',
          WEBHOOK_MAX_ATTEMPTS: '3',
          WEBHOOK_TIMEOUT_MS: '2000',
        }),
        // Its own group, like the emulators, so teardown and the reaper can stop all of it.
        detached: true,
        stdio: ['ignore', fd, fd, 'ipc'],
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid !== undefined) release = guardGroup(child.pid);
    child.unref();
    child.channel?.unref();
    const url = await waitForReady(child, logFile);
    const apiUrl = `${url}/v1`;
    await waitForHealth(apiUrl, HEALTH_MS);
    provideAll(project, apiUrl, hosts, { url: storage.url, mediaBucket }, webhookKeysFile);
    const seconds = (from: number, to = Date.now()) => `${((to - from) / 1000).toFixed(1)} s`;
    process.stderr.write(
      `[test-stack] up in ${seconds(startedAt)} (emulators ${seconds(startedAt, emulatorsUpAt)}, dev host ${seconds(emulatorsUpAt)}): ${apiUrl}, logs in ${relative(REPO_ROOT, logDir)}\n`,
    );
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
