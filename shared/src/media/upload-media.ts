/**
 * Starting an upload: a pending media document and either a signed URL the client sends
 * the bytes to (large files never pass through a function) or the bytes themselves,
 * streamed to storage with a hard byte limit. Either way the object's arrival triggers
 * processUpload. The signed URL takes at most the declared size, once; a pending media
 * carries a retention (`expiresAt`) until processing starts.
 */
import { type IdempotencyRequest, idempotent } from '../application/idempotency.ts';
import type { Principal } from '../domain/common.schema.ts';
import { ACCEPTED_CONTENT_TYPES } from '../domain/image.ts';
import type { Media } from '../domain/media.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { SignedUrl } from '../ports/blob-store.ts';
import type { MediaDeps } from '../ports/deps.ts';
import {
  fromMediaDoc,
  MEDIA,
  type MediaDoc,
  pendingRetention,
  uploadObjectName,
} from '../stores/media-store.ts';

function newMediaDoc(
  deps: MediaDeps,
  actor: Principal,
  upload: { filename: string; contentType: string; size: number; sizeLimit: number },
): MediaDoc {
  const id = deps.ids.newId();
  const now = deps.clock.now();
  return {
    id,
    ownerId: actor.uid,
    filename: upload.filename,
    contentType: upload.contentType,
    size: upload.size,
    status: 'pending',
    failureReason: null,
    width: null,
    height: null,
    variants: [],
    taskIds: [],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    bucket: deps.media.bucket,
    object: uploadObjectName(actor.uid, id, safeObjectFilename(upload.filename)),
    sourceGeneration: null,
    processedGeneration: null,
    lease: null,
    variantObjects: [],
    sizeLimit: upload.sizeLimit,
    ...pendingRetention(now, deps.media.pendingRetentionHours),
  };
}

/** The file name as used in the object name: safe characters only, the original kept in the document. */
export function safeObjectFilename(filename: string): string {
  const cleaned = filename
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '_');
  return cleaned.slice(-120) || 'file';
}

function checkDeclared(contentType: string, size: number, limit: number): void {
  if (size > limit) {
    throw new AppError('REQUEST.TOO_LARGE', `Uploads are limited to ${limit} bytes.`, { details: { limit } });
  }
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(type)) {
    throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', `${type} is not a supported image type.`, {
      details: { accepted: [...ACCEPTED_CONTENT_TYPES] },
    });
  }
}

/**
 * POST /v1/media/uploads: a pending media and a signed PUT URL for its bytes, good for at
 * most the declared size and for one upload. A repeat with the same Idempotency-Key and
 * body replays the first answer.
 */
export async function createUpload(
  req: {
    actor: Principal;
    filename: string;
    contentType: string;
    size: number;
    idempotency?: IdempotencyRequest;
  },
  deps: MediaDeps,
): Promise<{ media: Media; upload: SignedUrl; replayed: boolean }> {
  checkDeclared(req.contentType, req.size, deps.media.maxUploadBytes);
  const { result, replayed } = await deps.store.transact((tx) =>
    idempotent(tx, deps, req.idempotency, async () => {
      const doc = newMediaDoc(deps, req.actor, {
        filename: req.filename,
        contentType: req.contentType.toLowerCase(),
        size: req.size,
        sizeLimit: req.size,
      });
      tx.create(MEDIA, doc.id, doc);
      const upload = await deps.blobs.signedUrl(doc.bucket, doc.object, {
        method: 'PUT',
        expiresInSeconds: deps.media.uploadUrlTtlSeconds,
        contentType: doc.contentType,
        maxBytes: req.size,
        ifGenerationMatch: '0',
      });
      return { media: fromMediaDoc(doc), upload };
    }),
  );
  return { ...result, replayed };
}

/**
 * POST /v1/media: streams the bytes to storage, counting them; over the limit the upload is
 * aborted, the partial object removed and the media deleted (413).
 */
export async function uploadMedia(
  req: {
    actor: Principal;
    filename: string;
    contentType: string;
    body: NodeJS.ReadableStream;
    declaredSize?: number;
  },
  deps: MediaDeps,
): Promise<Media> {
  const limit = deps.media.maxMultipartBytes;
  checkDeclared(req.contentType, req.declaredSize ?? 0, limit);
  const doc = newMediaDoc(deps, req.actor, {
    filename: req.filename,
    contentType: req.contentType.toLowerCase(),
    size: 0,
    sizeLimit: limit,
  });
  await deps.store.transact(async (tx) => tx.create(MEDIA, doc.id, doc));
  try {
    const info = await deps.blobs.write(doc.bucket, doc.object, req.body, {
      contentType: doc.contentType,
      metadata: { mediaId: doc.id, ownerId: doc.ownerId },
      ifGenerationMatch: '0',
    });
    // The finalize event may already have been handled; keep whatever it recorded.
    return await deps.store.transact(async (tx) => {
      const current = (await tx.get<MediaDoc>(MEDIA, doc.id))?.data ?? doc;
      if (current.size === info.size) return fromMediaDoc(current);
      const next = { ...current, size: info.size };
      tx.set(MEDIA, doc.id, next);
      return fromMediaDoc(next);
    });
  } catch (error) {
    await deps.store.transact(async (tx) => tx.delete(MEDIA, doc.id)).catch(() => undefined);
    await deps.blobs.delete(doc.bucket, doc.object).catch(() => undefined);
    throw error;
  }
}
