/**
 * Idempotency keys for creating POSTs. The record of a key is read and written in the same
 * unit of work as the creation, so two racing requests with one key create one thing:
 * the loser's commit conflicts, it re-runs and replays the winner's result.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import type { Transaction } from '../ports/document-store.ts';

export const IDEMPOTENCY = 'idempotency';

/** What the caller sent: who, which operation, the key, and a hash of the request. */
export interface IdempotencyRequest {
  scope: string;
  key: string;
  fingerprint: string;
}

interface IdempotencyDoc {
  [key: string]: unknown;
  fingerprint: string;
  result: unknown;
  createdAt: string;
  /** Firestore TTL deletes the record after this time; reads ignore expired records. */
  expiresAt: Date;
}

/** A stable hash of a request's method, path and JSON body. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * Runs `create` once per key: a repeat with the same fingerprint returns the first result
 * (`replayed: true`), with another fingerprint it fails with 422.
 */
export async function idempotent<T>(
  tx: Transaction,
  deps: Pick<Deps, 'clock' | 'idempotencyTtlHours'>,
  request: IdempotencyRequest | undefined,
  create: () => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  if (!request) return { result: await create(), replayed: false };
  const id = createHash('sha256').update(`${request.scope}\n${request.key}`).digest('hex');
  const now = deps.clock.now();
  const existing = await tx.get<IdempotencyDoc>(IDEMPOTENCY, id);
  if (existing && new Date(existing.data.expiresAt).getTime() > now.getTime()) {
    if (existing.data.fingerprint !== request.fingerprint) {
      throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was used with a different request.');
    }
    return { result: existing.data.result as T, replayed: true };
  }
  const result = await create();
  const doc: IdempotencyDoc = {
    fingerprint: request.fingerprint,
    result,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.idempotencyTtlHours * 3_600_000),
  };
  tx.set(IDEMPOTENCY, id, doc);
  return { result, replayed: false };
}
