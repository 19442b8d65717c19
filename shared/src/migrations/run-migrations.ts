/**
 * Applies and rolls back data migrations through the DocumentStore port.
 *
 * Each migration walks its collection in document-id order, one batch per unit of work.
 * The unit re-reads every document of the batch, writes the transformed ones guarded by
 * the version it read (so a user's write landing in between makes the unit re-run on top
 * of it instead of being overwritten), and writes the migration's checkpoint in the same
 * commit. A batch and its checkpoint therefore land together or not at all: a run that
 * crashes resumes after the last committed batch and transforms no document twice. The
 * checkpoint is also compared inside the unit, so two runners started at once cannot both
 * advance the same migration.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../ports/clock.ts';
import { DOC_ID, type DocData, type DocumentStore, type StoredDoc } from '../ports/document-store.ts';
import {
  type Direction,
  isApplied,
  MIGRATIONS,
  type Migration,
  type MigrationCounts,
  MigrationError,
  type MigrationRecord,
} from './migration.ts';
import { MIGRATION_REGISTRY } from './registry.ts';

export interface MigrationDeps {
  store: DocumentStore;
  clock: Clock;
}

export interface RunOptions {
  /**
   * Report what would change; write nothing (not even the records). Each pending
   * migration is evaluated against the current data, not against the previous one's output.
   */
  dryRun: boolean;
  /** Documents per unit of work; Firestore commits at most 500 writes, one is the checkpoint. */
  batchSize: number;
  /**
   * up: apply pending migrations up to and including this id.
   * down: roll back every applied migration after this id (without it, only the last one).
   */
  to?: string;
  /** Diffs to keep per migration in a dry run. */
  sampleSize?: number;
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface DocDiff {
  id: string;
  /** Top-level fields that differ; `undefined` means absent. */
  fields: Record<string, FieldChange>;
}

export interface MigrationProgress {
  migration: string;
  direction: Direction;
  /** Documents in the collection when the run started (an estimate under concurrent writes). */
  total: number;
  /** Documents visited so far, including those of the run being resumed. */
  done: number;
  counts: MigrationCounts;
}

export interface MigrationOutcome {
  id: string;
  direction: Direction;
  counts: MigrationCounts;
  /** The document id the run resumed after, if it continued a crashed one. */
  resumedAfter: string | null;
  /** In a dry run, a sample of the changes. */
  samples: DocDiff[];
}

export interface RunResult {
  dryRun: boolean;
  outcomes: MigrationOutcome[];
}

export interface MigrationState {
  id: string;
  description: string;
  state: 'pending' | 'applied' | 'rolled-back' | 'running up' | 'running down';
  record: MigrationRecord | null;
}

/** The largest batch a Firestore commit takes next to the checkpoint write. */
export const MAX_BATCH = 499;

/** Every registered migration with its recorded state, in id order. */
export async function migrationStatus(
  deps: Pick<MigrationDeps, 'store'>,
  registry: readonly Migration[] = MIGRATION_REGISTRY,
): Promise<MigrationState[]> {
  const records = await loadRecords(deps.store, registry);
  return sortedById(registry).map((m) => {
    const record = records.get(m.id) ?? null;
    const state: MigrationState['state'] = !record
      ? 'pending'
      : record.status === 'running'
        ? `running ${record.direction}`
        : record.status;
    return { id: m.id, description: m.description, state, record };
  });
}

/**
 * Runs pending migrations up, or applied ones down, in order. A crashed run is resumed
 * by running the same command again.
 */
export async function runMigrations(
  direction: Direction,
  options: RunOptions,
  deps: MigrationDeps,
  onProgress: (p: MigrationProgress) => void = () => {},
  registry: readonly Migration[] = MIGRATION_REGISTRY,
): Promise<RunResult> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_BATCH) {
    throw new MigrationError(`The batch size must be a whole number from 1 to ${MAX_BATCH}.`);
  }
  assertUniqueIds(registry);
  if (options.to !== undefined && direction === 'up' && !registry.some((m) => m.id === options.to)) {
    throw new MigrationError(`No migration "${options.to}".`);
  }
  const records = await loadRecords(deps.store, registry);
  const plan =
    direction === 'up' ? planUp(registry, records, options.to) : planDown(registry, records, options.to);
  const outcomes: MigrationOutcome[] = [];
  for (const m of plan) {
    outcomes.push(await runOne(m, direction, records.get(m.id), options, deps, onProgress));
  }
  return { dryRun: options.dryRun, outcomes };
}

function sortedById(registry: readonly Migration[]): Migration[] {
  return [...registry].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function assertUniqueIds(registry: readonly Migration[]): void {
  const ids = new Set(registry.map((m) => m.id));
  if (ids.size !== registry.length) throw new Error('Migration ids must be unique.');
}

async function loadRecords(
  store: DocumentStore,
  registry: readonly Migration[],
): Promise<Map<string, MigrationRecord>> {
  const records = new Map<string, MigrationRecord>();
  for (const m of registry) {
    const doc = await store.get<MigrationRecord>(MIGRATIONS, m.id);
    if (doc) records.set(m.id, doc.data);
  }
  return records;
}

function planUp(
  registry: readonly Migration[],
  records: Map<string, MigrationRecord>,
  to: string | undefined,
): Migration[] {
  const rollingBack = [...records.values()].find((r) => r.status === 'running' && r.direction === 'down');
  if (rollingBack) {
    // Applying later migrations over a half-rolled-back one would stack them on mixed data.
    throw new MigrationError(`The rollback of ${rollingBack.id} did not finish; run down again.`);
  }
  return sortedById(registry).filter(
    (m) => records.get(m.id)?.status !== 'applied' && (to === undefined || m.id <= to),
  );
}

function planDown(
  registry: readonly Migration[],
  records: Map<string, MigrationRecord>,
  to: string | undefined,
): Migration[] {
  const applied = sortedById(registry)
    .filter((m) => isApplied(records.get(m.id)))
    .reverse();
  if (to === undefined) return applied.slice(0, 1);
  return applied.filter((m) => m.id > to);
}

/** The top-level fields that differ between two versions of a document. */
export function diffOf(id: string, before: DocData, after: DocData): DocDiff {
  const fields: Record<string, FieldChange> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!isDeepStrictEqual(before[key], after[key])) fields[key] = { from: before[key], to: after[key] };
  }
  return { id, fields };
}

/** The new data if the transform changes the document, else null. */
function transformed(m: Migration, direction: Direction, doc: StoredDoc): DocData | null {
  const next = direction === 'up' ? m.up(doc) : m.down(doc);
  return next && !isDeepStrictEqual(next, doc.data) ? next : null;
}

async function runOne(
  m: Migration,
  direction: Direction,
  previous: MigrationRecord | undefined,
  options: RunOptions,
  deps: MigrationDeps,
  onProgress: (p: MigrationProgress) => void,
): Promise<MigrationOutcome> {
  const resuming = previous?.status === 'running' && previous.direction === direction;
  const resumedAfter = resuming ? previous.lastDocId : null;
  const counts: MigrationCounts = resuming ? { ...previous.counts } : { scanned: 0, changed: 0 };
  const startedAt = resuming ? previous.startedAt : deps.clock.now().toISOString();
  const samples: DocDiff[] = [];
  const sampleSize = options.sampleSize ?? 5;
  const total = await deps.store.count(m.collection, []);
  const report = () =>
    onProgress({ migration: m.id, direction, total, done: counts.scanned, counts: { ...counts } });
  // What the record must say for this run to own the next batch: null before the first.
  let expected: MigrationRecord | null = previous ?? null;
  let cursor = resumedAfter;
  report();

  for (;;) {
    const page = await deps.store.query({
      collection: m.collection,
      where: [],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      ...(cursor ? { startAfter: [cursor] } : {}),
      limit: options.batchSize,
    });
    if (page.length === 0) break;
    const lastId = page.at(-1)!.id;

    if (options.dryRun) {
      for (const doc of page) {
        const next = transformed(m, direction, doc);
        if (!next) continue;
        counts.changed++;
        if (samples.length < sampleSize) samples.push(diffOf(doc.id, doc.data, next));
      }
      counts.scanned += page.length;
    } else {
      const batchStart = { ...counts };
      const record = await deps.store.transact(async (tx) => {
        const current = (await tx.get<MigrationRecord>(MIGRATIONS, m.id))?.data ?? null;
        if (!sameCheckpoint(current, expected)) {
          throw new MigrationError(`Another run is moving ${m.id}; stopped this one.`);
        }
        const batchCounts = { ...batchStart };
        // Re-read inside the unit: each write is guarded by this version, not the query's.
        const docs = await Promise.all(page.map(({ id }) => tx.get(m.collection, id)));
        batchCounts.scanned += page.length;
        for (const doc of docs) {
          const next = doc && transformed(m, direction, doc);
          if (!doc || !next) continue;
          tx.set(m.collection, doc.id, next);
          batchCounts.changed++;
        }
        const checkpoint: MigrationRecord = {
          id: m.id,
          direction,
          status: 'running',
          lastDocId: lastId,
          counts: batchCounts,
          startedAt,
          updatedAt: deps.clock.now().toISOString(),
          finishedAt: null,
        };
        tx.set(MIGRATIONS, m.id, checkpoint);
        return checkpoint;
      });
      expected = record;
      Object.assign(counts, record.counts);
    }
    cursor = lastId;
    report();
    if (page.length < options.batchSize) break;
  }

  if (!options.dryRun) {
    await deps.store.transact(async (tx) => {
      const current = (await tx.get<MigrationRecord>(MIGRATIONS, m.id))?.data ?? null;
      if (!sameCheckpoint(current, expected)) {
        throw new MigrationError(`Another run is moving ${m.id}; stopped this one.`);
      }
      const now = deps.clock.now().toISOString();
      tx.set(MIGRATIONS, m.id, {
        id: m.id,
        direction,
        status: direction === 'up' ? 'applied' : 'rolled-back',
        lastDocId: cursor,
        counts,
        startedAt,
        updatedAt: now,
        finishedAt: now,
      } satisfies MigrationRecord);
    });
  }
  return { id: m.id, direction, counts, resumedAfter, samples };
}

/** Whether the stored record is the one this run last saw (or wrote). */
function sameCheckpoint(current: MigrationRecord | null, expected: MigrationRecord | null): boolean {
  if (!current || !expected) return current === expected;
  return (
    current.direction === expected.direction &&
    current.status === expected.status &&
    current.lastDocId === expected.lastDocId &&
    current.updatedAt === expected.updatedAt
  );
}
