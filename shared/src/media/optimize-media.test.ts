/** Optimize: queued through the outbox, rendered once, recorded as `optimized-<format>`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { parseMediaConfig } from '../config/media-config.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { MEDIA, type MediaDoc } from '../stores/media-store.ts';
import { memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { optimizeMedia, requestOptimization } from './optimize-media.ts';
import { processUpload } from './process-upload.ts';

setLogger(createLogger({ level: 'silent' }));
const photo = readFileSync(
  join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'images', 'flowers.jpeg'),
);
const actor = { uid: 'u1', email: undefined, role: 'member' as const };
const origin = { actorId: 'u1', correlationId: 'c1' };

/** Dependencies holding u1's ready media `m1`. */
async function withReadyMedia() {
  const deps = memoryDeps();
  await seedUser(deps, 'u1');
  const info = await deps.blobs.write(deps.media.bucket, 'uploads/u1/m1/f.jpg', photo, {
    contentType: 'image/jpeg',
  });
  await processUpload({ ...info, metadata: {} }, deps);
  return deps;
}

it('renders the optimized variant once, however often the command arrives', async () => {
  const deps = await withReadyMedia();

  const media = await requestOptimization(
    { actor, origin, id: 'm1', format: 'webp', quality: 60, maxWidth: 800 },
    deps,
  );
  expect(media.id).toBe('m1');
  expect(deps.publisher.sent).toHaveLength(1);
  const command = deps.publisher.sent[0]!.command;
  expect(deps.publisher.sent[0]).toMatchObject({
    topic: 'media-optimize',
    attributes: { commandType: 'media.optimize' },
  });

  for (let i = 0; i < 3; i++) expect(await optimizeMedia(command, deps)).toBe('done');
  const doc = (await deps.store.get<MediaDoc>(MEDIA, 'm1'))?.data;
  expect(doc?.variants.at(-1)).toMatchObject({
    name: 'optimized-webp',
    width: 800,
    height: 450,
    contentType: 'image/webp',
  });
  expect(deps.publisher.types().filter((t) => t === 'media.processed')).toHaveLength(2); // the upload's and this one
  expect(await deps.blobs.stat(deps.media.bucket, 'variants/m1/optimized-webp.webp')).not.toBeNull();
});

it('refuses media that are not ready, and strangers get 404', async () => {
  const deps = memoryDeps();
  await deps.store.transact(async (tx) =>
    tx.create(MEDIA, 'p1', {
      id: 'p1',
      ownerId: 'u1',
      filename: 'f',
      contentType: 'image/jpeg',
      size: 1,
      status: 'pending',
      failureReason: null,
      width: null,
      height: null,
      variants: [],
      taskIds: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      bucket: 'b',
      object: 'o',
      sourceGeneration: null,
      processedGeneration: null,
      lease: null,
      variantObjects: [],
    }),
  );
  await expect(requestOptimization({ actor, origin, id: 'p1', format: 'webp' }, deps)).rejects.toMatchObject({
    code: 'MEDIA.NOT_READY',
    status: 409,
  });
  await expect(
    requestOptimization({ actor: { ...actor, uid: 'u2' }, origin, id: 'p1', format: 'webp' }, deps),
  ).rejects.toMatchObject({ status: 404 });
});

it('reads an original only up to the upload limit: a larger one is refused unread, nothing rendered', async () => {
  const deps = await withReadyMedia();
  await requestOptimization({ actor, origin, id: 'm1', format: 'webp' }, deps);
  const command = deps.publisher.sent[0]!.command;
  deps.media = parseMediaConfig({
    GOOGLE_CLOUD_PROJECT: 'demo-taskman',
    MEDIA_MAX_UPLOAD_BYTES: String(photo.length - 1),
  });
  const read = vi.spyOn(deps.blobs, 'readRange');
  await expect(optimizeMedia(command, deps)).rejects.toMatchObject({ code: 'REQUEST.TOO_LARGE' });
  expect(read).not.toHaveBeenCalled();
  expect(await deps.blobs.list(deps.media.bucket, 'variants/m1/optimized-')).toEqual([]);
});
