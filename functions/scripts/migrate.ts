/**
 * `npm run migrate -- status|up|down [--dry-run] [--to ID] [--batch N]`
 *
 * Versioned Firestore data migrations (shared/src/migrations). `up` applies pending ones
 * in order (up to and including --to), `down` rolls back the last applied one (or every
 * one after --to). A crashed run resumes where it stopped when the same command runs
 * again. Without GOOGLE_CLOUD_PROJECT it talks to the local stack of `npm start`.
 */
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'dry-run': { type: 'boolean', default: false },
    to: { type: 'string' },
    batch: { type: 'string', default: '200' },
    help: { type: 'boolean', default: false },
  },
});

const usage = 'npm run migrate -- status|up|down [--dry-run] [--to ID] [--batch 1-499]';
const command = positionals[0];
if (
  values.help ||
  (command !== 'status' && command !== 'up' && command !== 'down') ||
  positionals.length > 1
) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

if (!process.env.GOOGLE_CLOUD_PROJECT) {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: 'demo-taskman',
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080',
    METADATA_SERVER_DETECTION: 'none',
  });
}
process.env.LOG_LEVEL ??= 'warn';

const { FirestoreDocumentStore } = await import(
  '@taskman/shared/adapters/firestore/firestore-document-store'
);
const { systemClock } = await import('@taskman/shared/ports/clock');
const { migrationStatus, runMigrations } = await import('@taskman/shared/migrations/run-migrations');

const project = process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-taskman';
// Only the store is needed: building the full app dependencies would demand unrelated config.
const deps = {
  store: new FirestoreDocumentStore({ projectId: project, timeoutMs: 10_000 }),
  clock: systemClock,
};
const where = process.env.FIRESTORE_EMULATOR_HOST
  ? `emulator ${process.env.FIRESTORE_EMULATOR_HOST}`
  : 'Firestore';

if (command === 'status') {
  const states = await migrationStatus(deps).catch((error: unknown) => {
    console.error(`Could not read migrations from ${where}: ${(error as Error).message}`);
    process.exit(1);
  });
  console.log(`Migrations of ${project} (${where}):`);
  for (const s of states) {
    const r = s.record;
    const detail = r
      ? ` · ${r.counts.changed}/${r.counts.scanned} changed · ${r.finishedAt ? `finished ${r.finishedAt}` : `last ${r.lastDocId ?? '-'} at ${r.updatedAt}`}`
      : '';
    console.log(`  ${s.state.padEnd(12)} ${s.id}  ${s.description}${detail}`);
  }
  process.exit(0);
}

const batchSize = Number(values.batch);
const dryRun = values['dry-run'];
const tty = process.stdout.isTTY;
const started = Date.now();
let lastLine = '';
let lastPrinted = -1;
console.log(`Migrating ${command} on ${project} (${where})${dryRun ? ' — dry run, nothing is written' : ''}`);

const result = await runMigrations(
  command,
  { dryRun, batchSize, ...(values.to ? { to: values.to } : {}) },
  deps,
  (p) => {
    const pct = p.total === 0 ? 100 : Math.min(100, Math.floor((p.done / p.total) * 100));
    const bar = `${'█'.repeat(Math.floor(pct / 4))}${'░'.repeat(25 - Math.floor(pct / 4))}`;
    const line = `${p.migration} ${p.direction} ${bar} ${pct}% ${p.done}/${p.total} · ${p.counts.changed} changed`;
    if (tty) {
      process.stdout.write(`\r${line}`);
      lastLine = line;
    } else if (pct >= lastPrinted + 10 || p.done === 0) {
      lastPrinted = p.done === 0 ? -1 : pct;
      console.log(line);
    }
  },
).catch((error: unknown) => {
  if (tty && lastLine) process.stdout.write('\n');
  console.error(`Stopped: ${(error as Error).message}. Run the same command again to resume.`);
  process.exit(1);
});
if (tty && lastLine) process.stdout.write('\n');

if (result.outcomes.length === 0)
  console.log(command === 'up' ? 'Nothing to apply.' : 'Nothing to roll back.');
for (const o of result.outcomes) {
  const verb = dryRun ? 'would change' : 'changed';
  const resumed = o.resumedAfter ? ` (resumed after ${o.resumedAfter})` : '';
  console.log(
    `${o.id} ${o.direction}: ${verb} ${o.counts.changed} of ${o.counts.scanned} documents${resumed}`,
  );
  for (const s of o.samples) console.log(`  ${s.id}: ${JSON.stringify(s.fields)}`);
}
console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
process.exit(0);
