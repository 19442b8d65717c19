/**
 * Re-seals every webhook secret under the keyring's current key version (`npm run
 * rotate-keys`, after a new version was added), so an old version can then be disabled.
 * Safe to run at any time, like the media reprocess:
 * - idempotent: a secret already sealed under the current kid is left alone, so a second
 *   (or resumed) run changes nothing; secrets stored in plain text before sealing existed
 *   are sealed, and their plain field removed;
 * - bounded: batches of `batchSize`, at most `concurrency` in flight, `maxItems` per run;
 * - resumable: a checkpoint per target kid records the last id of every finished batch;
 * - each write is guarded by what was read: a webhook deleted or changed meanwhile is
 *   skipped (the next run picks it up), never overwritten;
 * - a dry run reads and counts, and writes nothing.
 * No secret is logged, returned or written anywhere but sealed in its webhook.
 */
import { forEachBounded } from '../application/bounded.ts';
import { seal, sealedKid } from '../application/sealing.ts';
import { AppError, isAppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import { secretOf, WEBHOOKS, type WebhookDeps, type WebhookDoc } from './webhook-store.ts';

export const KEY_ROTATIONS = 'keyRotations';

/** `resealed`: now under the current kid; `current`: it was; `skipped`: changed meanwhile; `failed`: it does not open. */
export type RotationOutcome = 'resealed' | 'current' | 'skipped' | 'failed';

export interface RotationOptions {
  batchSize: number;
  dryRun: boolean;
  /** Items in flight at once (1..16; default 4). */
  concurrency?: number;
  /** Stop after this many webhooks were looked at (run again to go on). */
  maxItems?: number;
}

export interface RotationProgress {
  /** The kid secrets are being sealed under. */
  kid: string;
  total: number;
  done: number;
  counts: Record<RotationOutcome, number>;
}

interface Checkpoint {
  [key: string]: unknown;
  kid: string;
  lastId: string | null;
  counts: Record<RotationOutcome, number>;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

type RotationDeps = Pick<Deps, 'store' | 'clock'> & Pick<WebhookDeps, 'keyring'>;

/** Re-seals one webhook's secret under `kid` (the current version). */
async function rotateOne(
  id: string,
  kid: string,
  dryRun: boolean,
  deps: RotationDeps,
): Promise<RotationOutcome> {
  const doc = (await deps.store.get<WebhookDoc>(WEBHOOKS, id))?.data;
  if (!doc) return 'skipped';
  if (sealedKid(doc.sealedSecret ?? '') === kid && doc.secret === undefined) return 'current';
  let secret: string;
  try {
    secret = await secretOf(doc, deps.keyring);
  } catch (error) {
    if (isAppError(error) && !error.retryable) return 'failed';
    throw error;
  }
  if (dryRun) return 'resealed';
  const sealedSecret = await seal(secret, deps.keyring);
  return deps.store.transact(async (tx) => {
    const current = (await tx.get<WebhookDoc>(WEBHOOKS, id))?.data;
    if (!current || current.sealedSecret !== doc.sealedSecret || current.secret !== doc.secret)
      return 'skipped';
    const { secret: _plain, ...rest } = current;
    tx.set(WEBHOOKS, id, { ...rest, sealedSecret });
    return 'resealed';
  });
}

/** Runs (or resumes) a re-seal of every webhook secret; reports progress after each one. */
export async function rotateWebhookSecrets(
  options: RotationOptions,
  deps: RotationDeps,
  onProgress: (p: RotationProgress) => void = () => undefined,
): Promise<RotationProgress & { resumedFrom: string | null }> {
  const concurrency = options.concurrency ?? 4;
  if (concurrency < 1 || concurrency > 16 || options.batchSize < 1 || options.batchSize > 500) {
    throw new AppError('REQUEST.VALIDATION', 'Concurrency must be 1..16 and the batch 1..500.');
  }
  const { kid } = await deps.keyring.current();
  const now = () => deps.clock.now().toISOString();
  const saved = (await deps.store.get<Checkpoint>(KEY_ROTATIONS, kid))?.data;
  const checkpoint: Checkpoint =
    saved && !saved.finishedAt && !options.dryRun
      ? saved
      : {
          kid,
          lastId: null,
          counts: { resealed: 0, current: 0, skipped: 0, failed: 0 },
          startedAt: now(),
          updatedAt: now(),
          finishedAt: null,
        };
  const save = (fields: Partial<Checkpoint>) =>
    options.dryRun
      ? Promise.resolve()
      : deps.store.transact(async (tx) =>
          tx.set(KEY_ROTATIONS, kid, { ...checkpoint, ...fields, updatedAt: now() }),
        );
  const progress: RotationProgress = {
    kid,
    total: await deps.store.count(WEBHOOKS, []),
    done: Object.values(checkpoint.counts).reduce((a, b) => a + b, 0),
    counts: { ...checkpoint.counts },
  };
  let lastId = checkpoint.lastId;
  let seen = 0;
  for (;;) {
    const room = Math.min(options.batchSize, (options.maxItems ?? Number.POSITIVE_INFINITY) - seen);
    if (room <= 0) break;
    const batch = await deps.store.query<WebhookDoc>({
      collection: WEBHOOKS,
      where: [],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      ...(lastId ? { startAfter: [lastId] } : {}),
      limit: room,
    });
    await forEachBounded(batch, concurrency, async (row) => {
      const outcome = await rotateOne(row.id, kid, options.dryRun, deps);
      progress.counts[outcome]++;
      progress.done++;
      onProgress(progress);
    });
    seen += batch.length;
    lastId = batch.at(-1)?.id ?? lastId;
    if (batch.length < room) {
      await save({ lastId, counts: progress.counts, finishedAt: now() });
      break;
    }
    await save({ lastId, counts: progress.counts });
  }
  return { ...progress, resumedFrom: checkpoint.lastId };
}
