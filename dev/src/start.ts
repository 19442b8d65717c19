/**
 * `npm start`: the whole local stack in one terminal. Starts (or reuses) the emulators —
 * the storage emulator inside this process, persisting under `.dev-stack/storage` —
 * points this process's environment at them, then runs the dev host in this same process
 * (topology, buckets and admin seed included) and says where everything is. Function logs
 * are pino JSON; on a terminal they go through pino-pretty. Ctrl-C or SIGTERM stops what
 * this process started and exits 0.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKeyFile } from '@taskman/shared/adapters/secret-manager/file-keyring';
import { config } from '@taskman/shared/config/config';
import { createLogger, logger, setLogger } from '@taskman/shared/logging/logger';
import pretty from 'pino-pretty';
import type { DevHost } from './dev-host.ts';
import {
  EMULATOR_NAMES,
  type Emulator,
  type EmulatorName,
  EmulatorStartError,
  HOST_VARIABLE,
  LABEL,
  PrerequisiteError,
  reuseFromEnv,
  startEmulators,
} from './emulators.ts';
import { LOCAL_ADMIN } from './seed.ts';
import {
  functionEnv,
  mediaBucketFromEnv,
  PROJECT_ID,
  portsFromEnv,
  StackConfigError,
  scheduleTickMsFromEnv,
  serveStack,
} from './stack.ts';
import { devSignerFile, STORAGE_HOST_VARIABLE, type StorageServer, startStorage } from './storage.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOG_DIR = resolve(REPO_ROOT, '.dev-stack', 'start');
/** Buckets and objects of `npm start`, kept across restarts. */
const STORAGE_DIR = resolve(REPO_ROOT, '.dev-stack', 'storage');
/** The key the functions sign URLs with; kept too, so URLs signed before a restart stay valid. */
const SIGNER_FILE = resolve(REPO_ROOT, '.dev-stack', 'storage-signer.json');
/** The webhook keys (Secret Manager's stand-in); kept across restarts so sealed secrets still open. */
const WEBHOOK_KEYS_FILE = resolve(REPO_ROOT, '.dev-stack', 'webhook-keys.json');

const out = (line = '') => process.stdout.write(`${line}\n`);
const started = Date.now();
const emulators: Emulator[] = [];
let storage: StorageServer | undefined;
let devHost: DevHost | undefined;
let stopping = false;

const SEVERITY_COLOR: Record<string, 'gray' | 'green' | 'yellow' | 'red' | 'bgRed'> = {
  DEBUG: 'gray',
  INFO: 'green',
  WARNING: 'yellow',
  ERROR: 'red',
  CRITICAL: 'bgRed',
};

/** Readable function logs for a terminal: `12:00:01 INFO  [tasksGet] GET /v1/tasks/x 200 0.012s`. */
function prettyLogs(): void {
  const stream = pretty({
    messageKey: 'message',
    levelKey: 'severity',
    translateTime: 'SYS:HH:MM:ss.l',
    sync: true,
    // Shown in the first line instead (or noise on a laptop).
    ignore:
      'event,function,httpRequest,requestId,correlationId,logging.googleapis.com/trace,logging.googleapis.com/spanId',
    customPrettifiers: {
      level: (value, _key, _log, { colors }) => {
        const name = String(value);
        return colors[SEVERITY_COLOR[name] ?? 'white'](name.padEnd(7));
      },
    },
    messageFormat: (log, messageKey) => {
      const fn = typeof log.function === 'string' ? `[${log.function}] ` : '';
      const latency = (log.httpRequest as { latency?: unknown } | undefined)?.latency;
      const tail = typeof latency === 'string' ? ` ${latency}` : '';
      const id = typeof log.requestId === 'string' ? ` (${log.requestId.slice(0, 8)})` : '';
      return `${fn}${String(log[messageKey] ?? '')}${tail}${id}`;
    },
  });
  setLogger(createLogger({ level: config().logLevel, destination: stream }));
}

async function stopAll(): Promise<void> {
  await devHost?.close().catch(() => {});
  await storage?.stop().catch(() => {});
  await Promise.all(emulators.map((e) => e.stop()));
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: leave now; the reaper finishes the emulators off.
    process.exit(0);
  }
  stopping = true;
  out(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the stack…`);
  stopAll().then(
    () => {
      out('Stopped.');
      process.exit(0);
    },
    (error: unknown) => {
      out(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

async function main(): Promise<void> {
  const ports = portsFromEnv(process.env);
  const reuse = reuseFromEnv(process.env);
  const reuseStorage = process.env[STORAGE_HOST_VARIABLE]?.trim() || undefined;
  const mediaBucket = mediaBucketFromEnv(process.env, PROJECT_ID);
  const toStart = [
    ...EMULATOR_NAMES.filter((n) => !reuse[n]).map((n) => LABEL[n]),
    ...(reuseStorage ? [] : ['Storage']),
  ];
  out(`Starting the Taskman local stack (${toStart.join(', ') || 'no'} emulators to start)…`);

  // First: it starts in milliseconds, and a port conflict is reported before java spins up.
  // Its notifications go to the Pub/Sub emulator's address, which need not answer yet.
  const pubsubHost = reuse.pubsub ?? `127.0.0.1:${ports.pubsub}`;
  const signer = await devSignerFile(SIGNER_FILE, PROJECT_ID, { reuseExisting: true });
  await ensureKeyFile(WEBHOOK_KEYS_FILE);
  storage = await startStorage({
    projectId: PROJECT_ID,
    port: ports.storage,
    pubsubHost,
    trustedSigners: [signer.trustedSigner],
    dataDir: STORAGE_DIR,
    logFile: resolve(LOG_DIR, 'storage.log'),
    ...(reuseStorage ? { reuse: reuseStorage } : {}),
  });
  // A reused emulator trusts the key it was started with (`--signer FILE`): name it.
  const signingKeyFile = (reuseStorage && process.env.STORAGE_SIGNING_KEY_FILE) || signer.keyFile;

  const running = await startEmulators({
    projectId: PROJECT_ID,
    ports,
    reuse,
    logDir: LOG_DIR,
    onSpawn: (e) => emulators.push(e),
  });
  if (stopping) return;
  const hosts = Object.fromEntries(EMULATOR_NAMES.map((n) => [n, running[n].host])) as Record<
    EmulatorName,
    string
  >;
  Object.assign(
    process.env,
    functionEnv({
      projectId: PROJECT_ID,
      hosts,
      apiPort: ports.api,
      storage: { url: storage.url, signingKeyFile },
      mediaBucket,
      webhookKeysFile: WEBHOOK_KEYS_FILE,
    }),
  );
  if (process.stdout.isTTY) prettyLogs();

  const { host, topology } = await serveStack({
    apiPort: ports.api,
    projectId: PROJECT_ID,
    pubsubHost: hosts.pubsub,
    storageUrl: storage.url,
    mediaBucket,
    logger: logger(),
    scheduleTickMs: scheduleTickMsFromEnv(process.env),
  });
  devHost = host;
  if (stopping) return;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const api = `http://localhost:${host.port}/v1`;
  const where = (file: string | undefined) => {
    const near = relative(process.cwd(), file ?? '');
    return near.startsWith('..') ? (file ?? '') : near;
  };
  out('');
  out(`Taskman local stack is up (${seconds} s).`);
  out(`  API          ${api}`);
  out(`  Health       ${api}/health`);
  for (const name of EMULATOR_NAMES) {
    const e = running[name];
    const how = e.startedHere ? `log ${where(e.logFile)}` : 'reused';
    out(`  ${LABEL[name].padEnd(12)} ${e.host}  (${HOST_VARIABLE[name]}; ${how})`);
  }
  const storageHow = storage.startedHere
    ? `data ${where(STORAGE_DIR)}, log ${where(storage.logFile)}`
    : 'reused';
  out(`  ${'Storage'.padEnd(12)} ${storage.url}  (${STORAGE_HOST_VARIABLE}; ${storageHow})`);
  out(`  Media bucket ${mediaBucket}  (${storage.url}/storage/v1/b/${mediaBucket}/o lists it)`);
  out(`  URL signer   ${where(signingKeyFile)}`);
  out(`  Webhook keys ${where(WEBHOOK_KEYS_FILE)}  (npm run rotate-keys -- --add-key rotates them)`);
  out(`  Topics       ${topology.topics.join(', ')}`);
  if (host.missing.length > 0) out(`  Not written  ${host.missing.join(', ')} (answer 501)`);
  out(`  Admin        ${LOCAL_ADMIN.email} / ${LOCAL_ADMIN.password}`);
  out('Press Ctrl-C to stop.');
  out('');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? '' : `\nCaused by: ${describe(error.cause)}`;
  return `${error.stack ?? error.message}${cause}`;
}

main().catch(async (error: unknown) => {
  // These already say what to do, in one line or with a log tail: a stack trace adds nothing.
  const expected = [PrerequisiteError, EmulatorStartError, StackConfigError].some(
    (type) => error instanceof type,
  );
  if (expected) out((error as Error).message);
  else out(`The stack could not start: ${describe(error)}`);
  await stopAll();
  process.exit(1);
});
