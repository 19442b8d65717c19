/**
 * Optimize on demand: the route checks and queues the work (202), a worker renders the
 * `optimized-<format>` variant from the original and records it. The command travels
 * through the outbox, so a crash between the request and the send loses nothing; doing it
 * twice writes the same object and the same record.
 */

import { type EventOrigin, newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import { VARIANT_MARKER, VARIANTS_PREFIX } from '../config/media-config.ts';
import { COMMAND_TOPICS, type Command, OptimizeCommandDataSchema } from '../domain/command.schema.ts';
import type { Principal } from '../domain/common.schema.ts';
import type { OutputFormat } from '../domain/image.ts';
import type { Media } from '../domain/media.schema.ts';
import { AppError, isAppError } from '../errors/app-error.ts';
import type { MediaDeps } from '../ports/deps.ts';
import { ImageRejected } from '../ports/image-processor.ts';
import { fromMediaDoc, loadOwnMedia, MEDIA, type MediaDoc, originalSizeCap } from '../stores/media-store.ts';

export async function requestOptimization(
  req: {
    actor: Principal;
    origin: EventOrigin;
    id: string;
    format: 'webp' | 'avif' | 'jpeg';
    quality?: number;
    maxWidth?: number;
  },
  deps: MediaDeps,
): Promise<Media> {
  return inUnitOfWork(deps, async (tx, emit) => {
    const doc = await loadOwnMedia(tx, req.id, req.actor);
    if (doc.status !== 'ready') {
      throw new AppError('MEDIA.NOT_READY', `Only ready media can be optimized (this one is ${doc.status}).`);
    }
    const command: Command = {
      id: deps.ids.newId(),
      type: 'media.optimize',
      timestamp: deps.clock.now().toISOString(),
      correlationId: req.origin.correlationId,
      actorId: req.origin.actorId,
      data: {
        mediaId: doc.id,
        format: req.format,
        quality: req.quality ?? deps.media.quality,
        maxWidth: req.maxWidth ?? null,
      },
    };
    emit.command(COMMAND_TOPICS.optimizeMedia, command);
    return fromMediaDoc(doc);
  });
}

/**
 * The worker: renders and records the optimized variant. Storage trouble throws (retry); an
 * original over the upload cap is refused unread (`REQUEST.TOO_LARGE`, not retried).
 */
export async function optimizeMedia(command: Command, deps: MediaDeps): Promise<'done' | 'gone'> {
  const parsed = OptimizeCommandDataSchema.safeParse(command.data);
  // A malformed command can never succeed: not retryable, so it is not retried for ever.
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
    throw new AppError('REQUEST.VALIDATION', `The optimize command is malformed: ${issues.join('; ')}.`);
  }
  const data = parsed.data;
  const doc = (await deps.store.get<MediaDoc>(MEDIA, data.mediaId))?.data;
  if (doc?.status !== 'ready') return 'gone';
  if (doc.appliedCommands?.includes(command.id)) return 'done'; // a redelivery
  // The pipeline's cap: a larger original (a newer generation not yet refused) is not read.
  const bytes = await deps.blobs
    .read(doc.bucket, doc.object, originalSizeCap(doc, deps.media.maxUploadBytes))
    .catch((error: unknown) => {
      if (isAppError(error) && error.code === 'MEDIA.NOT_FOUND') return null;
      throw error;
    });
  if (!bytes) return 'gone';
  const name = `optimized-${data.format}`;
  const width = data.maxWidth ?? 8192;
  let rendered: Awaited<ReturnType<MediaDeps['images']['render']>>;
  try {
    rendered = await deps.images.render(
      bytes,
      [{ name, width, height: 8192, format: data.format as OutputFormat, quality: data.quality }],
      deps.media.maxPixels,
    );
  } catch (error) {
    if (error instanceof ImageRejected) return 'gone';
    throw error;
  }
  const variant = rendered.variants[0]!;
  const object = `${VARIANTS_PREFIX}${doc.id}/${name}.${data.format === 'jpeg' ? 'jpg' : data.format}`;
  await deps.blobs.write(doc.bucket, object, variant.bytes, {
    contentType: variant.contentType,
    cacheControl: deps.media.cacheControl,
    metadata: { [VARIANT_MARKER]: 'true', mediaId: doc.id },
  });
  await inUnitOfWork(deps, async (tx, emit) => {
    const current = (await tx.get<MediaDoc>(MEDIA, doc.id))?.data;
    if (!current || current.appliedCommands?.includes(command.id)) return;
    const entry = {
      name,
      width: variant.width,
      height: variant.height,
      contentType: variant.contentType,
      size: variant.bytes.length,
    };
    const next: MediaDoc = {
      ...current,
      variants: [...current.variants.filter((v) => v.name !== name), entry],
      variantObjects: [...current.variantObjects.filter((v) => v.name !== name), { name, object }],
      appliedCommands: [...(current.appliedCommands ?? []), command.id].slice(-20),
      updatedAt: deps.clock.now().toISOString(),
    };
    tx.set(MEDIA, doc.id, next);
    const event = newEvent(
      deps,
      'media.processed',
      { actorId: command.actorId, correlationId: command.correlationId },
      {
        mediaId: doc.id,
        ownerId: doc.ownerId,
        optimized: entry,
      },
    );
    emit(event);
  });
  return 'done';
}
