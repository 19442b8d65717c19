/**
 * Re-runs the pipeline over existing media after the rendering settings changed (sizes,
 * formats, quality). Safe by construction, unlike the peer's removed backfill:
 * - idempotent: a media already rendered with the current settings is skipped, so a
 *   second run (or a resumed one) does nothing twice;
 * - bounded: a fixed number of items in flight, an optional cap on items per run;
 * - no loops: variants go under `variants/`, which the upload trigger ignores, and the
 *   run only walks media documents once, in id order;
 * - resumable: a checkpoint per settings hash records the last id of every finished
 *   batch, so a crashed run continues where it stopped.
 */

import { configHashOf } from '../config/media-config.ts';
import { AppError } from '../errors/app-error.ts';
import type { MediaDeps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import { ImageRejected } from '../ports/image-processor.ts';
import { MEDIA, type MediaDoc } from '../stores/media-store.ts';
import { type FinalizedObject, recordOutcome, renderAndStore } from './process-upload.ts';

export const REPROCESS_RUNS = 'reprocessRuns';

export type ItemOutcome = 'reprocessed' | 'failed' | 'current' | 'skipped';

export interface ReprocessOptions {
  concurrency: number;
  /** Stop after this many items were looked at (a run can be resumed). */
  maxItems?: number;
  dryRun: boolean;
  batchSize: number;
}

export interface ReprocessProgress {
  total: number;
  done: number;
  counts: Record<ItemOutcome, number>;
}

interface Checkpoint {
  [key: string]: unknown;
  configHash: string;
  lastId: string | null;
  counts: Record<ItemOutcome, number>;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Reprocesses one media item with the current settings. */
export async function reprocessOne(id: string, deps: MediaDeps): Promise<ItemOutcome> {
  const hash = configHashOf(deps.media);
  const doc = (await deps.store.get<MediaDoc>(MEDIA, id))?.data;
  if (!doc || doc.configHash === hash || (doc.status !== 'ready' && doc.status !== 'failed')) {
    return doc?.configHash === hash ? 'current' : 'skipped';
  }
  const info = await deps.blobs.stat(doc.bucket, doc.object);
  if (!info) return 'skipped'; // the original was deleted by policy; nothing to render from
  const object: FinalizedObject = info;
  const claimed = await deps.store.transact(async (tx) => {
    const current = (await tx.get<MediaDoc>(MEDIA, id))?.data;
    const now = deps.clock.now();
    if (!current || current.configHash === hash) return false;
    if (current.lease && current.lease.until > now.toISOString()) return false;
    tx.set(MEDIA, id, {
      ...current,
      sourceGeneration: info.generation,
      lease: {
        generation: info.generation,
        until: new Date(now.getTime() + deps.media.processingLeaseSeconds * 1000).toISOString(),
      },
    });
    return true;
  });
  if (!claimed) return 'skipped';
  try {
    const rendered = await renderAndStore(object, id, deps);
    const result = await recordOutcome(object, id, deps, { ok: true, ...rendered });
    return result.outcome === 'ready' ? 'reprocessed' : 'skipped';
  } catch (error) {
    if (!(error instanceof ImageRejected)) throw error;
    await recordOutcome(object, id, deps, { ok: false, reason: error.message });
    return 'failed';
  }
}

/** Runs (or resumes) a reprocess of every media item; reports progress after each item. */
export async function runReprocess(
  options: ReprocessOptions,
  deps: MediaDeps,
  onProgress: (p: ReprocessProgress) => void = () => undefined,
): Promise<ReprocessProgress & { resumedFrom: string | null }> {
  if (options.concurrency < 1 || options.concurrency > 16) {
    throw new AppError('REQUEST.VALIDATION', 'Concurrency must be 1..16.');
  }
  const hash = configHashOf(deps.media);
  const now = () => deps.clock.now().toISOString();
  const saved = (await deps.store.get<Checkpoint>(REPROCESS_RUNS, hash))?.data;
  const checkpoint: Checkpoint =
    saved && !saved.finishedAt
      ? saved
      : {
          configHash: hash,
          lastId: null,
          counts: { reprocessed: 0, failed: 0, current: 0, skipped: 0 },
          startedAt: now(),
          updatedAt: now(),
          finishedAt: null,
        };
  const resumedFrom = checkpoint.lastId;
  const total = await deps.store.count(MEDIA, []);
  const progress: ReprocessProgress = {
    total,
    done: Object.values(checkpoint.counts).reduce((a, b) => a + b, 0),
    counts: { ...checkpoint.counts },
  };
  let seen = 0;
  let lastId = checkpoint.lastId;
  for (;;) {
    const room =
      options.maxItems === undefined
        ? options.batchSize
        : Math.min(options.batchSize, options.maxItems - seen);
    if (room <= 0) break;
    const batch = await deps.store.query<MediaDoc>({
      collection: MEDIA,
      where: [],
      orderBy: [{ field: DOC_ID, direction: 'asc' }],
      ...(lastId ? { startAfter: [lastId] } : {}),
      limit: room,
    });
    if (batch.length === 0) {
      if (!options.dryRun)
        await saveCheckpoint(deps, {
          ...checkpoint,
          lastId,
          counts: progress.counts,
          updatedAt: now(),
          finishedAt: now(),
        });
      break;
    }
    const ids = batch.map((d) => d.id);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const doc = batch.find((d) => d.id === id)!.data;
        const outcome: ItemOutcome = options.dryRun
          ? doc.configHash === hash
            ? 'current'
            : doc.status === 'ready' || doc.status === 'failed'
              ? 'reprocessed'
              : 'skipped'
          : await reprocessOne(id, deps);
        progress.counts[outcome]++;
        progress.done++;
        onProgress(progress);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, ids.length) }, worker));
    seen += ids.length;
    lastId = ids.at(-1) ?? lastId;
    if (!options.dryRun)
      await saveCheckpoint(deps, { ...checkpoint, lastId, counts: progress.counts, updatedAt: now() });
  }
  return { ...progress, resumedFrom };
}

async function saveCheckpoint(deps: MediaDeps, checkpoint: Checkpoint): Promise<void> {
  await deps.store.transact(async (tx) => tx.set(REPROCESS_RUNS, checkpoint.configHash, checkpoint));
}
