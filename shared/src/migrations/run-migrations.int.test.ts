/** Migrations on the real Firestore emulator: up, dry run, resume after a crash, down. */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { FirestoreDocumentStore } from '../adapters/firestore/firestore-document-store.ts';
import type { DocumentStore } from '../ports/document-store.ts';
import { MIGRATIONS, type Migration, type MigrationRecord } from './migration.ts';
import { migrationStatus, runMigrations } from './run-migrations.ts';

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
const store = new FirestoreDocumentStore({ projectId: inject('projectId'), timeoutMs: 10_000 });
const clock = { now: () => new Date() };

/** A migration over a collection of its own, so runs do not see each other's data. */
function counterMigration(): Migration {
  const run = randomUUID().slice(0, 8);
  return {
    id: `9999-int-${run}`,
    description: 'stamps each document once',
    collection: `migrationInt_${run}`,
    up: (doc) =>
      doc.data.stamped ? null : { ...doc.data, stamped: true, applied: Number(doc.data.applied ?? 0) + 1 },
    down: (doc) => {
      if (!doc.data.stamped) return null;
      const { stamped: _s, applied: _a, ...rest } = doc.data;
      return rest;
    },
  };
}

async function seed(m: Migration, n: number): Promise<void> {
  await store.transact(async (tx) => {
    for (let i = 0; i < n; i++) tx.set(m.collection, `d${String(i).padStart(3, '0')}`, { n: i });
  });
}

async function docs(m: Migration) {
  return store.query({
    collection: m.collection,
    where: [],
    orderBy: [{ field: '__id__', direction: 'asc' }],
    limit: 1000,
  });
}

describe('migrations on the Firestore emulator', () => {
  it('dry-runs, applies, resumes after a crash, and rolls back', async () => {
    const m = counterMigration();
    await seed(m, 25);

    const dry = await runMigrations('up', { dryRun: true, batchSize: 10 }, { store, clock }, undefined, [m]);
    expect(dry.outcomes[0]?.counts).toEqual({ scanned: 25, changed: 25 });
    expect((await docs(m)).some((d) => d.data.stamped)).toBe(false);
    expect(await store.get(MIGRATIONS, m.id)).toBeNull();

    // The third unit of work fails before it commits, as if the process died there.
    let units = 0;
    const crashing: DocumentStore = {
      get: (c, id) => store.get(c, id),
      query: (q) => store.query(q),
      count: (c, w) => store.count(c, w),
      ping: () => store.ping(),
      transact: (fn) =>
        store.transact(async (tx) => {
          const result = await fn(tx);
          if (++units === 3) throw new Error('simulated crash');
          return result;
        }),
    };
    await expect(
      runMigrations('up', { dryRun: false, batchSize: 10 }, { store: crashing, clock }, undefined, [m]),
    ).rejects.toThrow('simulated crash');
    expect((await store.get<MigrationRecord>(MIGRATIONS, m.id))?.data).toMatchObject({
      status: 'running',
      lastDocId: 'd019',
    });

    const resumed = await runMigrations('up', { dryRun: false, batchSize: 10 }, { store, clock }, undefined, [
      m,
    ]);
    expect(resumed.outcomes[0]).toMatchObject({ resumedAfter: 'd019', counts: { scanned: 25, changed: 25 } });
    expect((await docs(m)).map((d) => d.data.applied)).toEqual(Array(25).fill(1));
    expect((await migrationStatus({ store }, [m]))[0]?.state).toBe('applied');

    const again = await runMigrations('up', { dryRun: false, batchSize: 10 }, { store, clock }, undefined, [
      m,
    ]);
    expect(again.outcomes).toEqual([]);

    await runMigrations('down', { dryRun: false, batchSize: 10 }, { store, clock }, undefined, [m]);
    expect((await docs(m)).map((d) => d.data)).toEqual(Array.from({ length: 25 }, (_, n) => ({ n })));
    expect((await migrationStatus({ store }, [m]))[0]?.state).toBe('rolled-back');
  });
});
