/** Reading media: one item, lists, and short-lived signed URLs for the original and variants. */

import { pageOf } from '../application/cursor.ts';
import { variantPlan } from '../config/media-config.ts';
import type { Page, Principal } from '../domain/common.schema.ts';
import { type Media, type MediaStatus, OptimizeBodySchema } from '../domain/media.schema.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import type { MediaDeps } from '../ports/deps.ts';
import { DOC_ID, type Where } from '../ports/document-store.ts';
import { fromMediaDoc, loadOwnMedia, MEDIA, type MediaDoc } from '../stores/media-store.ts';

export async function getMedia(req: { actor: Principal; id: string }, deps: MediaDeps): Promise<Media> {
  return fromMediaDoc(await loadOwnMedia(deps.store, req.id, req.actor));
}

/** The caller's media, newest first; admins may name another owner. */
export async function listMedia(
  req: {
    actor: Principal;
    taskId?: string;
    status?: MediaStatus;
    ownerId?: string;
    limit: number;
    cursor?: string;
  },
  deps: MediaDeps,
): Promise<Page<Media>> {
  const owner = req.actor.role === 'admin' && req.ownerId ? req.ownerId : req.actor.uid;
  const where: Where[] = [{ field: 'ownerId', op: '==', value: owner }];
  if (req.taskId) where.push({ field: 'taskIds', op: 'array-contains', value: req.taskId });
  if (req.status) where.push({ field: 'status', op: '==', value: req.status });
  return pageOf<MediaDoc, Media>(
    deps.store,
    {
      collection: MEDIA,
      where,
      orderBy: [
        { field: 'createdAt', direction: 'desc' },
        { field: DOC_ID, direction: 'desc' },
      ],
    },
    req.limit,
    req.cursor,
    (d) => fromMediaDoc(d.data),
  );
}

function attachmentName(filename: string): string {
  return `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** A short-lived signed URL of the original bytes (or, once they are deleted by policy, the largest variant). */
export async function downloadUrl(req: { actor: Principal; id: string }, deps: MediaDeps): Promise<string> {
  const doc = await loadOwnMedia(deps.store, req.id, req.actor);
  const original = await deps.blobs.stat(doc.bucket, doc.object);
  const object = original ? doc.object : doc.variantObjects.at(-1)?.object;
  if (!object) throw new AppError('MEDIA.NOT_FOUND', 'The bytes of this media have not arrived.');
  const signed = await deps.blobs.signedUrl(doc.bucket, object, {
    method: 'GET',
    expiresInSeconds: deps.media.downloadUrlTtlSeconds,
    responseDisposition: attachmentName(doc.filename),
    // The type the bytes were found to be, not the one the client declared.
    ...(object === doc.object ? { responseType: doc.contentType } : {}),
  });
  return signed.url;
}

/** The variant names `?size=` may ask for: every configured size and format, and the optimized ones. */
function variantNames(config: MediaDeps['media']): Set<string> {
  const planned = [...variantPlan(config, false), ...variantPlan(config, true)].map((v) => v.name);
  const optimized = OptimizeBodySchema.shape.format.options.map((f) => `optimized-${f}`);
  return new Set([...planned, ...optimized]);
}

/** A short-lived signed URL of one variant; 400 for a size that is not configured, 404 until it exists. */
export async function variantUrl(
  req: { actor: Principal; id: string; size: string },
  deps: MediaDeps,
): Promise<string> {
  const names = variantNames(deps.media);
  if (!names.has(req.size)) {
    throw validationError([{ path: 'query.size', reason: `must be one of ${[...names].join(', ')}` }]);
  }
  const doc = await loadOwnMedia(deps.store, req.id, req.actor);
  const variant = doc.variantObjects.find((v) => v.name === req.size);
  if (!variant) {
    throw new AppError('MEDIA.VARIANT_NOT_FOUND', `No variant "${req.size}" (yet).`, {
      details: { available: doc.variantObjects.map((v) => v.name), status: doc.status },
    });
  }
  const signed = await deps.blobs.signedUrl(doc.bucket, variant.object, {
    method: 'GET',
    expiresInSeconds: deps.media.downloadUrlTtlSeconds,
  });
  return signed.url;
}
