/**
 * `npm run reprocess -- [--sizes thumb:200x200,…] [--formats auto,webp] [--quality 82]
 *   [--concurrency 2] [--max N] [--dry-run]`
 *
 * Re-runs the thumbnail pipeline over existing media with the current (or given) settings.
 * Resumable (run it again after a crash), idempotent (media already rendered with these
 * settings are skipped), bounded (concurrency and --max). Without GOOGLE_CLOUD_PROJECT it
 * talks to the local stack of `npm start`.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    formats: { type: 'string' },
    quality: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    max: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'npm run reprocess -- [--sizes name:WxH,…] [--formats auto|jpeg|webp|avif|png,…] [--quality 1-100] [--concurrency 1-16] [--max N] [--dry-run]',
  );
  process.exit(0);
}

if (!process.env.GOOGLE_CLOUD_PROJECT) {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: 'demo-taskman',
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080',
    PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST ?? '127.0.0.1:8085',
    FIREBASE_AUTH_EMULATOR_HOST: process.env.FIREBASE_AUTH_EMULATOR_HOST ?? '127.0.0.1:9099',
    STORAGE_EMULATOR_HOST: process.env.STORAGE_EMULATOR_HOST ?? 'http://127.0.0.1:9199',
    METADATA_SERVER_DETECTION: 'none',
  });
}
if (values.sizes) process.env.MEDIA_SIZES = values.sizes;
if (values.formats) process.env.MEDIA_FORMATS = values.formats;
if (values.quality) process.env.MEDIA_QUALITY = values.quality;
process.env.LOG_LEVEL ??= 'warn';

const { runReprocess } = await import('@taskman/shared/media/reprocess');
const { appMediaDeps } = await import('@taskman/shared/wiring/media-deps');
const { configHashOf } = await import('@taskman/shared/config/media-config');

let deps: ReturnType<typeof appMediaDeps>;
try {
  deps = appMediaDeps();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const maxItems = values.max === undefined ? undefined : Number(values.max);
if (
  !Number.isInteger(concurrency) ||
  (maxItems !== undefined && (!Number.isInteger(maxItems) || maxItems < 1))
) {
  console.error('--concurrency and --max take whole numbers');
  process.exit(2);
}

const tty = process.stdout.isTTY;
const started = Date.now();
let lastPrinted = -1;
const sizes = deps.media.sizes.map((s) => `${s.name}:${s.width}x${s.height}`).join(',');
console.log(
  `Reprocessing media in ${deps.media.bucket} with sizes ${sizes}, formats ${deps.media.formats.join(',')} (settings ${configHashOf(deps.media)})${values['dry-run'] ? ' — dry run' : ''}`,
);

const result = await runReprocess(
  { concurrency, dryRun: values['dry-run'], batchSize: 50, ...(maxItems ? { maxItems } : {}) },
  deps,
  (p) => {
    const pct = p.total === 0 ? 100 : Math.min(100, Math.floor((p.done / p.total) * 100));
    const elapsed = (Date.now() - started) / 1000;
    const eta = p.done > 0 ? Math.max(0, ((p.total - p.done) * elapsed) / p.done) : 0;
    const bar = `${'█'.repeat(Math.floor(pct / 4))}${'░'.repeat(25 - Math.floor(pct / 4))}`;
    const line = `${bar} ${pct}% ${p.done}/${p.total} · ${p.counts.reprocessed} reprocessed · ${p.counts.failed} failed · ETA ${eta.toFixed(0)}s`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (pct >= lastPrinted + 10) {
      lastPrinted = pct;
      console.log(line);
    }
  },
).catch((error: unknown) => {
  console.error(`\nStopped: ${(error as Error).message}. Run the same command again to resume.`);
  process.exit(1);
});
if (tty) process.stdout.write('\n');
const c = result.counts;
console.log(
  `${values['dry-run'] ? 'Would reprocess' : 'Reprocessed'} ${c.reprocessed}, failed ${c.failed}, already current ${c.current}, skipped ${c.skipped} (busy elsewhere, pending, or original deleted) in ${((Date.now() - started) / 1000).toFixed(1)}s${result.resumedFrom ? `; resumed after ${result.resumedFrom}` : ''}.`,
);
process.exit(0);
