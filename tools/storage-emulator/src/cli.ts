/**
 * `tsx tools/storage-emulator/src/cli.ts --port 9199 …`: the storage emulator on its own,
 * for manual use. Every option has an environment fallback so the same command works
 * inside the local stack's environment. Ctrl-C stops it (and, with --data-dir, keeps the
 * data for the next start).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { consoleLog, type LogLevel } from './log.ts';
import { type StartupNotification, startStorageEmulator } from './server.ts';
import {
  generateDevSigner,
  type ServiceAccountKey,
  type TrustedSigner,
  trustedSignerFromKey,
} from './signing.ts';

const USAGE = `Usage: tsx tools/storage-emulator/src/cli.ts [options]

  --port N                 port to listen on (STORAGE_PORT; default 9199; 0 = any free port)
  --host ADDR              interface (default 127.0.0.1)
  --project ID             project id (GOOGLE_CLOUD_PROJECT; default demo-taskman)
  --pubsub HOST:PORT       Pub/Sub emulator for notifications (PUBSUB_EMULATOR_HOST)
  --data-dir DIR           keep buckets and objects here across restarts (default: memory)
  --bucket NAME            create this bucket at start (repeatable)
  --notify BUCKET=TOPIC[:PREFIX]
                           publish this bucket's object events to TOPIC (repeatable)
  --signer FILE            trust V4 signed URLs made with this service-account key file (repeatable)
  --generate-signer FILE   write a new service-account key file for signing, and trust it
  --log-level LEVEL        debug | info | warn | error | silent (default info)
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      project: { type: 'string' },
      pubsub: { type: 'string' },
      'data-dir': { type: 'string' },
      bucket: { type: 'string', multiple: true },
      notify: { type: 'string', multiple: true },
      signer: { type: 'string', multiple: true },
      'generate-signer': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const port = Number(values.port ?? env.STORAGE_PORT ?? 9199);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`Invalid port: ${values.port}`);
  const projectId = values.project ?? env.GOOGLE_CLOUD_PROJECT ?? 'demo-taskman';
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) fail(`Invalid log level: ${level}`);

  const trustedSigners: TrustedSigner[] = [];
  for (const file of values.signer ?? []) {
    const key = JSON.parse(await readFile(file, 'utf8')) as ServiceAccountKey;
    trustedSigners.push(trustedSignerFromKey(key));
  }
  const generateTo = values['generate-signer'];
  if (generateTo) {
    const signer = await generateDevSigner({ projectId });
    await writeFile(generateTo, `${JSON.stringify(signer.serviceAccount, null, 2)}\n`, { mode: 0o600 });
    trustedSigners.push(signer.trustedSigner);
    process.stderr.write(`Wrote ${generateTo} (${signer.clientEmail}); it is trusted by this emulator.\n`);
  }

  const notifications: StartupNotification[] = (values.notify ?? []).map((spec) => {
    const match = spec.match(/^([^=]+)=([^:]+)(?::(.*))?$/);
    if (!match) fail(`Invalid --notify '${spec}': expected BUCKET=TOPIC[:PREFIX].`);
    return { bucket: match[1]!, topic: match[2]!, ...(match[3] ? { objectNamePrefix: match[3] } : {}) };
  });
  const buckets = [...new Set([...(values.bucket ?? []), ...notifications.map((n) => n.bucket)])];

  const pubsubEmulatorHost = values.pubsub ?? env.PUBSUB_EMULATOR_HOST;
  const dataDir = values['data-dir'];
  const emulator = await startStorageEmulator({
    port,
    projectId,
    buckets,
    notifications,
    trustedSigners,
    logger: consoleLog(level),
    ...(values.host ? { host: values.host } : {}),
    ...(pubsubEmulatorHost ? { pubsubEmulatorHost } : {}),
    ...(dataDir ? { dataDir } : {}),
  });
  process.stdout.write(`STORAGE_EMULATOR_HOST=${emulator.url}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(0);
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
