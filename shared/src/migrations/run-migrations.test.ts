/** The migration runner on the in-memory store: up, down, status, dry run, resume, concurrency. */
import { describe, expect, it } from 'vitest';
import { MemoryDocumentStore } from '../adapters/memory/memory-document-store.ts';
import type { DocData, DocumentStore, Query, Transaction } from '../ports/document-store.ts';
import { toTaskDoc } from '../stores/task-store.ts';
import { taskSortFields } from './0001-task-sort-fields.ts';
import { MIGRATIONS, type Migration, type MigrationRecord } from './migration.ts';
import { type MigrationProgress, migrationStatus, runMigrations } from './run-migrations.ts';

const clock = { now: () => new Date('2026-03-01T00:00:00.000Z') };
const opts = { dryRun: false, batchSize: 3 };

/** Counts every application, so a document transformed twice shows it. */
const stamp: Migration = {
  id: '0001-stamp',
  description: 'adds a counter',
  collection: 'things',
  up: (doc) =>
    doc.data.stamped ? null : { ...doc.data, stamped: true, applied: Number(doc.data.applied ?? 0) + 1 },
  down: (doc) => {
    if (!doc.data.stamped) return null;
    const { stamped: _s, applied: _a, ...rest } = doc.data;
    return rest;
  },
};
const rename: Migration = {
  id: '0002-rename',
  description: 'name to title',
  collection: 'things',
  up: (doc) => {
    if (!('name' in doc.data)) return null;
    const { name, ...rest } = doc.data;
    return { ...rest, title: name };
  },
  down: (doc) => {
    if (!('title' in doc.data)) return null;
    const { title, ...rest } = doc.data;
    return { ...rest, name: title };
  },
};
const registry = [rename, stamp]; // out of order on purpose: the runner sorts by id

async function seeded(n = 10): Promise<MemoryDocumentStore> {
  const store = new MemoryDocumentStore();
  await store.transact(async (tx) => {
    for (let i = 0; i < n; i++) tx.set('things', `t${String(i).padStart(2, '0')}`, { name: `thing ${i}` });
  });
  return store;
}

const byId = (store: MemoryDocumentStore) => new Map(store.dump('things').map((d) => [d.id, d.data]));

/** A store whose units of work fail once `budget` documents of `collection` have been written. */
function failingAfter(inner: DocumentStore, collection: string, budget: number): DocumentStore {
  let written = 0;
  return {
    get: (c, id) => inner.get(c, id),
    query: (q) => inner.query(q),
    count: (c, w) => inner.count(c, w),
    ping: () => inner.ping(),
    transact: (fn) =>
      inner.transact(async (tx) => {
        let pending = 0;
        const counting: Transaction = {
          get: (c, id) => tx.get(c, id),
          create: (c, id, d) => tx.create(c, id, d),
          delete: (c, id) => tx.delete(c, id),
          set: (c, id, d) => {
            if (c === collection) pending++;
            tx.set(c, id, d);
          },
        };
        const result = await fn(counting);
        if (written + pending > budget) throw new Error('simulated crash');
        written += pending;
        return result;
      }),
  };
}

describe('runMigrations', () => {
  it('applies pending migrations in id order and records them', async () => {
    const store = await seeded();
    const progress: MigrationProgress[] = [];
    const result = await runMigrations('up', opts, { store, clock }, (p) => progress.push(p), registry);
    expect(result.outcomes.map((o) => [o.id, o.counts])).toEqual([
      ['0001-stamp', { scanned: 10, changed: 10 }],
      ['0002-rename', { scanned: 10, changed: 10 }],
    ]);
    expect(byId(store).get('t03')).toEqual({ title: 'thing 3', stamped: true, applied: 1 });
    const records = store.dump(MIGRATIONS).map((d) => d.data as MigrationRecord);
    expect(records.map((r) => [r.id, r.status, r.finishedAt])).toEqual([
      ['0001-stamp', 'applied', '2026-03-01T00:00:00.000Z'],
      ['0002-rename', 'applied', '2026-03-01T00:00:00.000Z'],
    ]);
    expect(progress.filter((p) => p.migration === '0001-stamp').map((p) => p.done)).toEqual([0, 3, 6, 9, 10]);
    expect(progress.every((p) => p.total === 10)).toBe(true);
  });

  it('stops at --to and reports status', async () => {
    const store = await seeded(2);
    await runMigrations('up', { ...opts, to: '0001-stamp' }, { store, clock }, undefined, registry);
    const status = await migrationStatus({ store }, registry);
    expect(status.map((s) => [s.id, s.state])).toEqual([
      ['0001-stamp', 'applied'],
      ['0002-rename', 'pending'],
    ]);
    expect(byId(store).get('t00')).toEqual({ name: 'thing 0', stamped: true, applied: 1 });
  });

  it('is idempotent: a second up does nothing', async () => {
    const store = await seeded();
    await runMigrations('up', opts, { store, clock }, undefined, registry);
    const before = store.dump('things');
    const again = await runMigrations('up', opts, { store, clock }, undefined, registry);
    expect(again.outcomes).toEqual([]);
    expect(store.dump('things')).toEqual(before);
  });

  it('rolls back the last applied migration, or down to --to, and can re-apply', async () => {
    const store = await seeded(4);
    await runMigrations('up', opts, { store, clock }, undefined, registry);

    const first = await runMigrations('down', opts, { store, clock }, undefined, registry);
    expect(first.outcomes.map((o) => o.id)).toEqual(['0002-rename']);
    expect(byId(store).get('t01')).toEqual({ name: 'thing 1', stamped: true, applied: 1 });
    expect((await migrationStatus({ store }, registry)).map((s) => s.state)).toEqual([
      'applied',
      'rolled-back',
    ]);

    await runMigrations('up', opts, { store, clock }, undefined, registry);
    const all = await runMigrations('down', { ...opts, to: '0000' }, { store, clock }, undefined, registry);
    expect(all.outcomes.map((o) => o.id)).toEqual(['0002-rename', '0001-stamp']);
    expect(byId(store).get('t01')).toEqual({ name: 'thing 1' });
    expect((await migrationStatus({ store }, registry)).map((s) => s.state)).toEqual([
      'rolled-back',
      'rolled-back',
    ]);
    expect((await runMigrations('down', opts, { store, clock }, undefined, registry)).outcomes).toEqual([]);
  });

  it('dry run reports counts and sample diffs and writes nothing', async () => {
    const store = await seeded(5);
    const before = store.dump('things');
    const result = await runMigrations(
      'up',
      { ...opts, dryRun: true, sampleSize: 2 },
      { store, clock },
      undefined,
      registry,
    );
    expect(result.dryRun).toBe(true);
    expect(result.outcomes[0]?.counts).toEqual({ scanned: 5, changed: 5 });
    expect(result.outcomes[0]?.samples).toEqual([
      { id: 't00', fields: { stamped: { from: undefined, to: true }, applied: { from: undefined, to: 1 } } },
      { id: 't01', fields: { stamped: { from: undefined, to: true }, applied: { from: undefined, to: 1 } } },
    ]);
    expect(store.dump('things')).toEqual(before);
    expect(store.dump(MIGRATIONS)).toEqual([]);
  });

  it('resumes after a crash mid-run without transforming any document twice', async () => {
    const store = await seeded(10);
    // 3 per batch: the third batch's commit fails after 6 documents were written.
    const crashing = failingAfter(store, 'things', 7);
    await expect(runMigrations('up', opts, { store: crashing, clock }, undefined, [stamp])).rejects.toThrow(
      'simulated crash',
    );
    const record = (await store.get<MigrationRecord>(MIGRATIONS, stamp.id))?.data;
    expect(record).toMatchObject({ status: 'running', direction: 'up', lastDocId: 't05' });
    expect((await migrationStatus({ store }, [stamp]))[0]?.state).toBe('running up');
    expect([...byId(store).values()].filter((d) => d.stamped)).toHaveLength(6);

    const resumed = await runMigrations('up', opts, { store, clock }, undefined, [stamp]);
    expect(resumed.outcomes[0]).toMatchObject({ resumedAfter: 't05', counts: { scanned: 10, changed: 10 } });
    expect([...byId(store).values()].map((d) => d.applied)).toEqual(Array(10).fill(1));
    expect((await store.get<MigrationRecord>(MIGRATIONS, stamp.id))?.data.status).toBe('applied');
  });

  it('keeps a user write that lands during a batch (the unit of work re-runs on top of it)', async () => {
    const store = await seeded(4);
    let interfered = false;
    const racing: DocumentStore = {
      get: (c, id) => store.get(c, id),
      query: (q) => store.query(q),
      count: (c, w) => store.count(c, w),
      ping: () => store.ping(),
      transact: (fn) =>
        store.transact(async (tx) => {
          const result = await fn(tx);
          if (!interfered) {
            interfered = true;
            // A user edits a document the batch has read but not yet committed.
            await store.transact(async (user) => {
              const doc = await user.get('things', 't01');
              user.set('things', 't01', { ...doc?.data, name: 'edited by a user' });
            });
          }
          return result;
        }),
    };
    await runMigrations('up', opts, { store: racing, clock }, undefined, registry);
    expect(byId(store).get('t01')).toEqual({ title: 'edited by a user', stamped: true, applied: 1 });
  });

  it('refuses a second runner that moved the same migration meanwhile', async () => {
    const store = await seeded(6);
    let hijacked = false;
    const contested: DocumentStore = {
      get: (c, id) => store.get(c, id),
      query: async <T extends DocData>(q: Query) => {
        const page = await store.query<T>(q);
        if (q.startAfter && !hijacked) {
          hijacked = true;
          await store.transact(async (tx) => {
            const rec = await tx.get<MigrationRecord>(MIGRATIONS, stamp.id);
            tx.set(MIGRATIONS, stamp.id, { ...rec?.data, updatedAt: 'someone else' });
          });
        }
        return page;
      },
      count: (c, w) => store.count(c, w),
      ping: () => store.ping(),
      transact: (fn) => store.transact(fn),
    };
    await expect(runMigrations('up', opts, { store: contested, clock }, undefined, [stamp])).rejects.toThrow(
      'Another run',
    );
  });

  it('rejects bad options', async () => {
    const store = await seeded(1);
    await expect(
      runMigrations('up', { ...opts, batchSize: 0 }, { store, clock }, undefined, registry),
    ).rejects.toThrow('batch size');
    await expect(
      runMigrations('up', { ...opts, to: 'nope' }, { store, clock }, undefined, registry),
    ).rejects.toThrow('No migration');
  });
});

describe('0001-task-sort-fields', () => {
  const task = {
    id: 'task1',
    title: 'T',
    description: '',
    status: 'PENDING',
    priority: 'HIGH',
    dueDate: null,
    ownerId: 'alice',
    assigneeId: 'bob',
    labels: ['x', 'y'],
    mediaIds: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  } as const;

  it('backfills the derived fields with the app function and keeps other fields', async () => {
    const store = new MemoryDocumentStore();
    const expected = toTaskDoc({ ...task, labels: [...task.labels], mediaIds: [] });
    await store.transact(async (tx) => {
      tx.set('tasks', 'task1', { ...task, legacy: 'kept' });
      tx.set('tasks', 'task2', { ...expected, id: 'task2' }); // already current
      tx.set('tasks', 'broken', { title: 'not a task' });
    });
    const result = await runMigrations('up', opts, { store, clock }, undefined, [taskSortFields]);
    expect(result.outcomes[0]?.counts).toEqual({ scanned: 3, changed: 1 });
    const doc = (await store.get('tasks', 'task1'))?.data;
    expect(doc).toMatchObject({ viewers: ['alice', 'bob'], priorityRank: 2, legacy: 'kept' });
    expect(doc?.viewerLabels).toEqual(expected.viewerLabels);
    expect((await store.get('tasks', 'broken'))?.data).toEqual({ title: 'not a task' });
  });

  it('rolls back without removing what the current code needs', async () => {
    const store = new MemoryDocumentStore();
    await store.transact(async (tx) => void tx.set('tasks', 'task1', { ...task }));
    await runMigrations('up', opts, { store, clock }, undefined, [taskSortFields]);
    const migrated = store.dump('tasks');
    const down = await runMigrations('down', opts, { store, clock }, undefined, [taskSortFields]);
    expect(down.outcomes[0]?.counts).toEqual({ scanned: 1, changed: 0 });
    expect(store.dump('tasks')).toEqual(migrated);
    expect((await migrationStatus({ store }, [taskSortFields]))[0]?.state).toBe('rolled-back');
  });
});
