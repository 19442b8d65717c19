/**
 * What a data migration is: a named, ordered, document-wise transform of one collection,
 * with its inverse. Keeping migrations per document (rather than free-form scripts) is
 * what lets one runner batch them, dry-run them, and resume them after a crash.
 */
import type { DocData, StoredDoc } from '../ports/document-store.ts';

/** Where migration runs are recorded, one document per migration id. */
export const MIGRATIONS = 'migrations';

export interface Migration {
  /** Sortable and unique: `NNNN-kebab-name`; migrations apply in this order. */
  id: string;
  description: string;
  /** The collection whose documents the transforms visit. */
  collection: string;
  /** The new document, or null to leave it as it is. Must be pure and idempotent. */
  up(doc: StoredDoc): DocData | null;
  /** The inverse of `up`, with the same contract. */
  down(doc: StoredDoc): DocData | null;
}

export type MigrationStatus = 'running' | 'applied' | 'rolled-back';
export type Direction = 'up' | 'down';

export interface MigrationCounts {
  /** Documents visited. */
  scanned: number;
  /** Documents rewritten (or, in a dry run, that would be). */
  changed: number;
}

/** The record of a migration in {@link MIGRATIONS}. */
export interface MigrationRecord extends DocData {
  id: string;
  /** The direction of the latest run; with `running`, the one to resume. */
  direction: Direction;
  status: MigrationStatus;
  /** The last document id of the last committed batch: a resumed run starts after it. */
  lastDocId: string | null;
  counts: MigrationCounts;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Whether the data is (wholly or partly) in the shape the migration produces. */
export function isApplied(record: MigrationRecord | undefined): boolean {
  if (!record) return false;
  return record.status === 'applied' || record.status === 'running';
}

/**
 * A run refused or stopped (bad options, another runner, an unfinished rollback): an
 * operator's problem, not an API error, so it stays out of the API's error codes.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}
