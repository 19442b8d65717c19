/**
 * processUpload: the thumbnail pipeline for one finalized object. The story:
 * filter → bind the object to its media and claim its generation (once) → check the bytes
 * (size, type, header, limits) → render the variants → store them → record the outcome
 * with its event.
 *
 * An object binds only to a media of the same owner and object name: the media id in the
 * path `uploads/{ownerId}/{mediaId}/…` is a claim anyone can write, so an object naming
 * another's media (or another file in a media's folder) becomes a media of its own and
 * never touches that one.
 *
 * Exactly-once in effect: the claim and the outcome are units of work keyed by the
 * object's generation, so a redelivered event for a generation already recorded does
 * nothing, and one still being processed elsewhere is retried later. Variants are written
 * under `variants/` with a marker, which the trigger ignores: nothing re-triggers itself.
 */

import { newEvent } from '../application/outbox.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import {
  configHashOf,
  isProcessable,
  VARIANT_MARKER,
  VARIANTS_PREFIX,
  variantPlan,
} from '../config/media-config.ts';
import { CONTENT_TYPES } from '../domain/image.ts';
import type { Variant } from '../domain/media.schema.ts';
import { AppError } from '../errors/app-error.ts';
import { logs } from '../logging/logs.ts';
import type { BlobInfo } from '../ports/blob-store.ts';
import type { MediaDeps } from '../ports/deps.ts';
import { type ImageHeader, ImageRejected } from '../ports/image-processor.ts';
import {
  bindsTo,
  MEDIA,
  type MediaDoc,
  mediaIdForObject,
  originalSizeCap,
  parseUploadPath,
  type VariantObject,
} from '../stores/media-store.ts';
import { USERS } from '../stores/user-store.ts';

/** The finalized object, as the storage event describes it: a stored blob's facts. */
export type FinalizedObject = BlobInfo;

export type ProcessOutcome =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'ready'; mediaId: string }
  | { outcome: 'failed'; mediaId: string; reason: string };

/**
 * Leading bytes read to decide type and dimensions before anything is decoded. Files up to
 * this size are read in one request; larger ones are read whole only once their header
 * passed (a bomb or a non-image costs one small read).
 */
const HEAD_BYTES = 1024 * 1024;

const origin = (doc: Pick<MediaDoc, 'ownerId'>) => ({
  actorId: doc.ownerId,
  correlationId: `media-${doc.ownerId}`,
});

export async function processUpload(object: FinalizedObject, deps: MediaDeps): Promise<ProcessOutcome> {
  const config = deps.media;
  if (object.bucket !== config.bucket) return { outcome: 'ignored', reason: 'another bucket' };
  if (!isProcessable(config, object.name, object.metadata))
    return { outcome: 'ignored', reason: 'path not processed' };
  const path = parseUploadPath(object.name);
  if (!path) return { outcome: 'ignored', reason: 'not under uploads/{ownerId}/' };

  const claim = await claimGeneration(object, path, deps);
  if (claim.outcome !== 'claimed') return claim;
  const { mediaId } = claim;

  try {
    const rendered = await renderAndStore(object, mediaId, deps, claim.sizeCap);
    return await recordOutcome(object, mediaId, deps, { ok: true, ...rendered });
  } catch (error) {
    if (!(error instanceof ImageRejected)) throw error; // storage or database trouble: retry
    if (error.reason === 'too-large') {
      // Refused for its size: it must stop costing storage, so it is deleted, not kept.
      await deps.blobs.delete(object.bucket, object.name);
    } else if (config.failedPrefix) {
      await deps.blobs
        .copy(object.bucket, object.name, `${config.failedPrefix}${object.name}`)
        .catch((e: unknown) => logs.quarantineCopyFailed(object.name, e));
    }
    return recordOutcome(object, mediaId, deps, { ok: false, reason: error.message });
  }
}

type Claim =
  | { outcome: 'claimed'; mediaId: string; sizeCap: number }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

async function claimGeneration(
  object: FinalizedObject,
  path: { ownerId: string; mediaId: string | null; filename: string },
  deps: MediaDeps,
): Promise<Claim> {
  const result = await inUnitOfWork(deps, async (tx, emit): Promise<Claim> => {
    const now = deps.clock.now();
    let mediaId = path.mediaId ?? mediaIdForObject(object.bucket, object.name);
    let existing = (await tx.get<MediaDoc>(MEDIA, mediaId))?.data;
    if (existing && !bindsTo(existing, path.ownerId, object)) {
      // Not this object's media: the object becomes a media of its own, under its own id.
      mediaId = mediaIdForObject(object.bucket, object.name);
      existing = (await tx.get<MediaDoc>(MEDIA, mediaId))?.data;
      if (existing && !bindsTo(existing, path.ownerId, object)) {
        return { outcome: 'ignored', reason: 'the media of this name belongs to another object' };
      }
    }
    if (existing?.processedGeneration && BigInt(existing.processedGeneration) >= BigInt(object.generation)) {
      return { outcome: 'duplicate' };
    }
    if (
      existing?.lease &&
      existing.lease.generation === object.generation &&
      existing.lease.until > now.toISOString()
    ) {
      throw new AppError('MEDIA.BUSY', 'This upload is being processed; try again later.');
    }
    if (!existing && !(await tx.get(USERS, path.ownerId))) {
      // An object under the prefix of an unknown user: nobody could ever see its media.
      return { outcome: 'ignored', reason: 'no user owns this upload path' };
    }
    // Processing starts: the retention of a pending media ends.
    const { expiresAt: _retention, ...base }: MediaDoc = existing ?? {
      id: mediaId,
      ownerId: path.ownerId,
      filename: path.filename,
      contentType: object.contentType ?? 'application/octet-stream',
      size: object.size,
      status: 'pending',
      failureReason: null,
      width: null,
      height: null,
      variants: [],
      taskIds: [],
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      bucket: object.bucket,
      object: object.name,
      sourceGeneration: null,
      processedGeneration: null,
      lease: null,
      variantObjects: [],
    };
    const next: MediaDoc = {
      ...base,
      object: object.name,
      size: object.size,
      status: 'processing',
      failureReason: null,
      updatedAt: now.toISOString(),
      sourceGeneration: object.generation,
      lease: {
        generation: object.generation,
        until: new Date(now.getTime() + deps.media.processingLeaseSeconds * 1000).toISOString(),
      },
    };
    tx.set(MEDIA, mediaId, next);
    if (base.sourceGeneration !== object.generation) {
      const event = newEvent(deps, 'media.uploaded', origin(next), {
        mediaId,
        ownerId: next.ownerId,
        bucket: object.bucket,
        object: object.name,
        generation: object.generation,
        size: object.size,
      });
      emit(event);
    }
    return { outcome: 'claimed', mediaId, sizeCap: originalSizeCap(existing, deps.media.maxUploadBytes) };
  });
  return result;
}

/**
 * Checks and renders the original. `sizeCap` bounds it (the upload limit, or less: the
 * size its media declared); a larger one is refused (`too-large`) before a byte is read.
 */
export async function renderAndStore(
  object: FinalizedObject,
  mediaId: string,
  deps: MediaDeps,
  sizeCap = deps.media.maxUploadBytes,
): Promise<{
  width: number;
  height: number;
  contentType: string;
  variants: (Variant & { object: string })[];
}> {
  const config = deps.media;
  if (object.size === 0) throw new ImageRejected('empty', 'The file is empty.');
  if (object.size > sizeCap) {
    throw new ImageRejected(
      'too-large',
      `The file is larger than ${sizeCap} bytes, the most this upload may have.`,
    );
  }
  // Read the header from as few bytes as possible (growing the slice when a format needs
  // more), so a decompression bomb or a non-image is refused before the whole file is read.
  let bytes = await deps.blobs.readRange(
    object.bucket,
    object.name,
    0,
    Math.min(HEAD_BYTES, object.size) - 1,
  );
  let header: ImageHeader | null = await deps.images.inspect(bytes, config.maxPixels, object.size);
  while (!header && bytes.length < object.size) {
    const next = Math.min(bytes.length * 4, object.size);
    bytes = await deps.blobs.readRange(object.bucket, object.name, 0, next - 1);
    header = await deps.images.inspect(bytes, config.maxPixels, object.size);
  }
  if (!header) throw new ImageRejected('corrupt', 'The image header cannot be read.');
  // The size is known from the event (and bounded above): a ranged read needs no stat.
  if (bytes.length < object.size)
    bytes = await deps.blobs.readRange(object.bucket, object.name, 0, object.size - 1);
  if (bytes.length !== object.size) {
    throw new AppError(
      'DEPENDENCY.UNAVAILABLE',
      'Storage returned fewer bytes than the object holds; retrying.',
    );
  }
  const rendered = await deps.images.render(bytes, variantPlan(config, header.hasAlpha), config.maxPixels);
  const variants = await Promise.all(
    rendered.variants.map(async (v) => {
      const name = `${VARIANTS_PREFIX}${mediaId}/${v.name}.${v.format === 'jpeg' ? 'jpg' : v.format}`;
      await deps.blobs.write(object.bucket, name, v.bytes, {
        contentType: v.contentType,
        cacheControl: config.cacheControl,
        metadata: { [VARIANT_MARKER]: 'true', mediaId, sourceGeneration: object.generation },
      });
      return {
        name: v.name,
        width: v.width,
        height: v.height,
        contentType: v.contentType,
        size: v.bytes.length,
        object: name,
      };
    }),
  );
  return {
    width: rendered.width,
    height: rendered.height,
    contentType: CONTENT_TYPES[header.type],
    variants,
  };
}

export async function recordOutcome(
  object: FinalizedObject,
  mediaId: string,
  deps: MediaDeps,
  result:
    | {
        ok: true;
        width: number;
        height: number;
        /** The type sniffed from the bytes. */
        contentType: string;
        variants: (Variant & { object: string })[];
      }
    | { ok: false; reason: string },
): Promise<ProcessOutcome> {
  const stale: string[] = [];
  const outcome = await inUnitOfWork(deps, async (tx, emit) => {
    stale.length = 0;
    const doc = (await tx.get<MediaDoc>(MEDIA, mediaId))?.data;
    // Deleted meanwhile: remove what was just written. A newer upload took over: leave its
    // variants (same names) alone.
    if (!doc) {
      if (result.ok) stale.push(...result.variants.map((v) => v.object));
      return { outcome: 'duplicate' } as const;
    }
    if (doc.sourceGeneration !== object.generation || doc.object !== object.name) {
      return { outcome: 'duplicate' } as const;
    }
    const now = deps.clock.now().toISOString();
    const keep = new Set(result.ok ? result.variants.map((v) => v.object) : []);
    stale.push(
      ...doc.variantObjects.map((v) => v.object).filter((o) => !keep.has(o) && !o.includes('/optimized-')),
    );
    const optimized = doc.variantObjects.filter((v) => v.name.startsWith('optimized-'));
    const next: MediaDoc = result.ok
      ? {
          ...doc,
          status: 'ready',
          failureReason: null,
          // The bytes decide the type, whatever the client declared.
          contentType: result.contentType,
          width: result.width,
          height: result.height,
          variants: [
            ...result.variants.map(({ object: _o, ...v }) => v),
            ...doc.variants.filter((v) => v.name.startsWith('optimized-')),
          ],
          variantObjects: [
            ...result.variants.map((v): VariantObject => ({ name: v.name, object: v.object })),
            ...optimized,
          ],
          processedGeneration: object.generation,
          configHash: configHashOf(deps.media),
          lease: null,
          updatedAt: now,
        }
      : {
          ...doc,
          status: 'failed',
          // Not an image the pipeline accepts: never the type the client claimed.
          contentType: 'application/octet-stream',
          failureReason: result.reason,
          width: null,
          height: null,
          variants: [],
          variantObjects: [],
          processedGeneration: object.generation,
          lease: null,
          updatedAt: now,
        };
    tx.set(MEDIA, mediaId, next);
    const event = result.ok
      ? newEvent(deps, 'media.processed', origin(next), {
          mediaId,
          ownerId: next.ownerId,
          width: result.width,
          height: result.height,
          variants: next.variants,
        })
      : newEvent(deps, 'media.failed', origin(next), {
          mediaId,
          ownerId: next.ownerId,
          reason: result.reason,
        });
    emit(event);
    return result.ok
      ? ({ outcome: 'ready', mediaId } as const)
      : ({ outcome: 'failed', mediaId, reason: result.reason } as const);
  });
  for (const name of stale) await deps.blobs.delete(object.bucket, name).catch(() => undefined);
  if (outcome.outcome !== 'duplicate') {
    const policy = deps.media.deleteOriginal;
    if (policy === 'always' || (policy === 'on-success' && outcome.outcome === 'ready')) {
      await deps.blobs.delete(object.bucket, object.name);
    }
  }
  return outcome;
}
