/**
 * How media are kept in the document store: the API's media plus where the bytes are and
 * the pipeline's bookkeeping (which object generation was processed, who holds the lease).
 */
import { createHash } from 'node:crypto';
import { UPLOADS_PREFIX } from '../config/media-config.ts';
import type { Principal } from '../domain/common.schema.ts';
import { type Media, MediaSchema } from '../domain/media.schema.ts';
import type { Task } from '../domain/task.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Clock } from '../ports/clock.ts';
import type { DocData, Transaction } from '../ports/document-store.ts';

export const MEDIA = 'media';

export interface VariantObject {
  name: string;
  object: string;
}

export interface MediaDoc extends Media, DocData {
  bucket: string;
  /** The original's object name. */
  object: string;
  /** Generation of the original last claimed for processing. */
  sourceGeneration: string | null;
  /** Generation of the original whose outcome (ready or failed) is recorded. */
  processedGeneration: string | null;
  /** A worker processing `generation` until `until`; others leave it alone meanwhile. */
  lease: { generation: string; until: string } | null;
  variantObjects: VariantObject[];
  /** The rendering settings the variants were made with (see configHashOf). */
  configHash?: string;
  /** Ids of the last commands applied (redeliveries are skipped). */
  appliedCommands?: string[];
  /**
   * The most bytes the original may have: the size declared for a signed upload, the
   * multipart limit for `POST /v1/media` (absent for uploads made without the API).
   */
  sizeLimit?: number;
  /** Set while pending: Firestore's TTL policy deletes a media whose bytes never arrive. */
  expiresAt?: Date;
}

export function fromMediaDoc(data: DocData): Media {
  return MediaSchema.parse(data);
}

export const mediaNotFound = () => new AppError('MEDIA.NOT_FOUND', 'No such media.');

/** Loads a media item its owner (or an admin) may see; 404 for anyone else. */
export async function loadOwnMedia(
  tx: Pick<Transaction, 'get'>,
  id: string,
  who: Principal,
): Promise<MediaDoc> {
  const doc = await tx.get<MediaDoc>(MEDIA, id);
  if (!doc || (doc.data.ownerId !== who.uid && who.role !== 'admin')) throw mediaNotFound();
  return doc.data;
}

/** `uploads/{ownerId}/{mediaId}/{filename}` (through the API) or `uploads/{ownerId}/{filename}` (direct). */
export function parseUploadPath(
  name: string,
): { ownerId: string; mediaId: string | null; filename: string } | null {
  if (!name.startsWith(UPLOADS_PREFIX)) return null;
  const parts = name.slice(UPLOADS_PREFIX.length).split('/');
  const ok = (s: string | undefined) => !!s && /^[A-Za-z0-9_-]{1,128}$/.test(s);
  if (parts.length === 3 && ok(parts[0]) && ok(parts[1]) && parts[2]) {
    return { ownerId: parts[0]!, mediaId: parts[1]!, filename: parts[2] };
  }
  if (parts.length >= 2 && ok(parts[0]) && parts.at(-1)) {
    return { ownerId: parts[0]!, mediaId: null, filename: parts.at(-1)! };
  }
  return null;
}

/**
 * Whether an object may bind to a media document: only one of the same owner and the same
 * object. Anything else (another owner's media id under one's own prefix, another file in
 * a media's folder) must never touch that document.
 */
export function bindsTo(
  doc: Pick<MediaDoc, 'ownerId' | 'bucket' | 'object'>,
  ownerId: string,
  object: { bucket: string; name: string },
): boolean {
  return doc.ownerId === ownerId && doc.bucket === object.bucket && doc.object === object.name;
}

/** The most bytes the original of `doc` may have: its own limit within the upload limit. */
export function originalSizeCap(
  doc: Pick<MediaDoc, 'sizeLimit'> | undefined,
  maxUploadBytes: number,
): number {
  return Math.min(maxUploadBytes, doc?.sizeLimit ?? maxUploadBytes);
}

/** How long a pending media is kept if its bytes never arrive (the TTL field of `MEDIA`). */
export function pendingRetention(now: Date, hours: number): Pick<MediaDoc, 'expiresAt'> {
  return { expiresAt: new Date(now.getTime() + hours * 3_600_000) };
}

/** A stable media id for an object uploaded without the API (same object → same id). */
export function mediaIdForObject(bucket: string, name: string): string {
  return `x${createHash('sha256').update(`${bucket}/${name}`).digest('base64url').replace(/[-_]/g, '').slice(0, 19)}`;
}

export function uploadObjectName(ownerId: string, mediaId: string, filename: string): string {
  return `${UPLOADS_PREFIX}${ownerId}/${mediaId}/${filename}`;
}

/** Inside a task's deletion: detach its media (the media stay with their owners). */
export async function detachAllMedia(tx: Transaction, deps: { clock: Clock }, task: Task): Promise<void> {
  for (const id of task.mediaIds) {
    const media = (await tx.get<MediaDoc>(MEDIA, id))?.data;
    if (!media) continue;
    tx.set(MEDIA, id, {
      ...media,
      taskIds: media.taskIds.filter((t) => t !== task.id),
      updatedAt: deps.clock.now().toISOString(),
    });
  }
}
