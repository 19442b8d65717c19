/**
 * Starting uploads: the signed URL is bound to the declared size and to one use, and a
 * media whose bytes never arrive carries a retention (Firestore TTL on `expiresAt`) that
 * ends when processing starts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger, setLogger } from '../logging/logger.ts';
import { MEDIA, type MediaDoc } from '../stores/media-store.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { processUpload } from './process-upload.ts';
import { createUpload, uploadMedia } from './upload-media.ts';

setLogger(createLogger({ level: 'silent' }));
const photo = readFileSync(
  join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'images', 'Landscape_1.jpg'),
);
const actor = { uid: 'u1', email: undefined, role: 'member' as const };

let deps: MemoryDeps;
beforeEach(async () => {
  deps = memoryDeps();
  await seedUser(deps, 'u1');
});

const doc = async (id: string) => (await deps.store.get<MediaDoc>(MEDIA, id))?.data;

describe('createUpload', () => {
  it('signs the declared size and a single use into the URL the client must PUT to', async () => {
    const { media, upload } = await createUpload(
      { actor, filename: 'photo.jpg', contentType: 'image/jpeg', size: photo.length },
      deps,
    );
    expect(upload.headers).toEqual({
      'Content-Type': 'image/jpeg',
      'x-goog-content-length-range': `0,${photo.length}`,
      'x-goog-if-generation-match': '0',
    });
    const bigger = Buffer.concat([photo, Buffer.alloc(1)]);
    const refused = await deps.blobs.fetchSigned(upload.url, {
      method: 'PUT',
      headers: upload.headers,
      body: bigger,
    });
    expect(refused.status).toBe(400);
    expect(
      (await deps.blobs.fetchSigned(upload.url, { method: 'PUT', headers: upload.headers, body: photo }))
        .status,
    ).toBe(200);
    expect(
      (await deps.blobs.fetchSigned(upload.url, { method: 'PUT', headers: upload.headers, body: photo }))
        .status,
    ).toBe(412);
    expect(await doc(media.id)).toMatchObject({ status: 'pending' });
  });
});

describe('retention of pending media', () => {
  it('a pending media expires after MEDIA_PENDING_RETENTION_HOURS unless processing starts', async () => {
    const { media } = await createUpload(
      { actor, filename: 'photo.jpg', contentType: 'image/jpeg', size: photo.length },
      deps,
    );
    const pending = await doc(media.id);
    expect(pending?.expiresAt).toEqual(new Date(Date.parse(media.createdAt) + 24 * 3_600_000));
    const info = await deps.blobs.write(deps.media.bucket, pending!.object, photo, {
      contentType: 'image/jpeg',
    });
    expect((await processUpload({ ...info, metadata: {} }, deps)).outcome).toBe('ready');
    const processed = await doc(media.id);
    expect(processed).toMatchObject({ status: 'ready' });
    expect(processed).not.toHaveProperty('expiresAt');
  });

  it('so does one uploaded through POST /v1/media until its bytes are processed', async () => {
    const heard: string[] = [];
    deps.blobs.onWrite((info) => heard.push(info.name));
    const media = await uploadMedia(
      { actor, filename: 'photo.jpg', contentType: 'image/jpeg', body: Readable.from([photo]) },
      deps,
    );
    expect((await doc(media.id))?.expiresAt).toBeInstanceOf(Date);
    const info = await deps.blobs.stat(deps.media.bucket, heard[0]!);
    await processUpload({ ...info!, metadata: {} }, deps);
    expect(await doc(media.id)).not.toHaveProperty('expiresAt');
  });
});
