/**
 * `npm run rotate-keys -- [--add-key] [--batch 200] [--concurrency 4] [--max N] [--dry-run]`
 *
 * Re-seals every webhook secret under the newest version of the webhook key (Secret
 * Manager secret `webhook-keys`, `WEBHOOK_KEYS_SECRET`), after a new version was added
 * (`openssl rand -base64 32 | gcloud secrets versions add webhook-keys --data-file=-`), so
 * the old version can then be disabled. Bounded (batches, concurrency, --max), resumable
 * (run the same command again after a crash), idempotent (secrets already under the newest
 * version are left alone), with a progress bar; --dry-run counts and writes nothing.
 * Without GOOGLE_CLOUD_PROJECT it talks to the local stack of `npm start`, whose key file
 * (`.dev-stack/webhook-keys.json`) `--add-key` adds a version to first.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { progressLine } from './progress.ts';

const { values } = parseArgs({
  options: {
    'add-key': { type: 'boolean', default: false },
    batch: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    max: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'npm run rotate-keys -- [--add-key (local stack only)] [--batch 1-500] [--concurrency 1-16] [--max N] [--dry-run]',
  );
  process.exit(0);
}

const local = !process.env.GOOGLE_CLOUD_PROJECT;
if (local) {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: 'demo-taskman',
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080',
    WEBHOOK_KEYS_FILE:
      process.env.WEBHOOK_KEYS_FILE ??
      resolve(fileURLToPath(new URL('../../', import.meta.url)), '.dev-stack', 'webhook-keys.json'),
    METADATA_SERVER_DETECTION: 'none',
  });
}
process.env.LOG_LEVEL ??= 'warn';

const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const maxItems = values.max === undefined ? undefined : Number(values.max);
if (![batchSize, concurrency, maxItems ?? 1].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('--batch, --concurrency and --max take whole numbers of at least 1');
  process.exit(2);
}

const { FirestoreDocumentStore } = await import(
  '@taskman/shared/adapters/firestore/firestore-document-store'
);
const { addFileKeyVersion } = await import('@taskman/shared/adapters/secret-manager/file-keyring');
const { systemClock } = await import('@taskman/shared/ports/clock');
const { rotateWebhookSecrets } = await import('@taskman/shared/webhooks/rotate-secrets');
const { webhookConfig } = await import('@taskman/shared/webhooks/webhook-config');
const { webhookKeyring } = await import('@taskman/shared/wiring/webhook-deps');

const settings = webhookConfig();
if (values['add-key']) {
  if (!settings.keysFile) {
    console.error(
      `--add-key works on a key file only; in the cloud add a version to the secret ${settings.keysSecret}:\n  openssl rand -base64 32 | gcloud secrets versions add ${settings.keysSecret} --data-file=-`,
    );
    process.exit(2);
  }
  console.log(`Added key version ${await addFileKeyVersion(settings.keysFile)} to ${settings.keysFile}`);
}

const project = process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-taskman';
// Only the store and the keyring are needed: the full app dependencies would demand unrelated config.
const deps = {
  store: new FirestoreDocumentStore({ projectId: project, timeoutMs: 10_000 }),
  clock: systemClock,
  keyring: webhookKeyring(),
};
const where = settings.keysFile ? `key file ${settings.keysFile}` : `secret ${settings.keysSecret}`;
const started = Date.now();
const bar = progressLine();
const dryRun = values['dry-run'];

const result = await rotateWebhookSecrets(
  { batchSize, concurrency, dryRun, ...(maxItems ? { maxItems } : {}) },
  deps,
  (p) => {
    bar.update(p.done, p.total, `${p.counts.resealed} re-sealed · ${p.counts.failed} unreadable`);
  },
).catch((error: unknown) => {
  bar.end();
  console.error(`Stopped: ${(error as Error).message}. Run the same command again to resume.`);
  process.exit(1);
});
bar.end();
const c = result.counts;
console.log(
  `${dryRun ? 'Would re-seal' : 'Re-sealed'} ${c.resealed} webhook secret(s) under key version ${result.kid} of the ${where}; ${c.current} already current, ${c.skipped} changed meanwhile (run again), ${c.failed} unreadable, in ${((Date.now() - started) / 1000).toFixed(1)}s${result.resumedFrom ? `; resumed after ${result.resumedFrom}` : ''}.`,
);
if (c.failed > 0) {
  console.error('Some secrets did not open: their key version is gone. Re-register those webhooks.');
  process.exit(1);
}
process.exit(0);
