/**
 * `npm run migrate -- status|up|down [--dry-run] [--to ID] [--batch N]`
 *
 * Versioned Firestore data migrations (shared/src/migrations). `up` applies pending ones
 * in order (up to and including --to), `down` rolls back the last applied one (or every
 * one after --to). A crashed run resumes where it stopped when the same command runs
 * again. Without GOOGLE_CLOUD_PROJECT it talks to the local stack of `npm start`.
 */
import { parseArgs } from 'node:util';
import { progressLine } from './progress.ts';

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
const started = Date.now();
const bar = progressLine();
console.log(`Migrating ${command} on ${project} (${where})${dryRun ? ' — dry run, nothing is written' : ''}`);

const result = await runMigrations(
  command,
  { dryRun, batchSize, ...(values.to ? { to: values.to } : {}) },
  deps,
  (p) => bar.update(p.done, p.total, `${p.migration} ${p.direction} · ${p.counts.changed} changed`),
).catch((error: unknown) => {
  bar.end();
  console.error(`Stopped: ${(error as Error).message}. Run the same command again to resume.`);
  process.exit(1);
});
bar.end();

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
