/**
 * The pipeline on real images with in-memory storage and database: outcomes per fixture,
 * redelivery, uploads made without the API, no self-triggering, and the configuration's
 * policies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseMediaConfig } from '../config/media-config.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { MEDIA, type MediaDoc, mediaIdForObject } from '../stores/media-store.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { type FinalizedObject, processUpload } from './process-upload.ts';
import { createUpload } from './upload-media.ts';

setLogger(createLogger({ level: 'silent' }));
const fixtures = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'images');
const fixture = (name: string) => readFileSync(join(fixtures, name));

let deps: MemoryDeps;
const owner = 'ownerA';

beforeEach(async () => {
  deps = memoryDeps();
  await seedUser(deps, owner);
});

async function upload(
  name: string,
  bytes: Buffer,
  metadata: Record<string, string> = {},
): Promise<FinalizedObject> {
  const info = await deps.blobs.write(deps.media.bucket, name, bytes, {
    contentType: 'application/octet-stream',
    metadata,
  });
  return {
    bucket: info.bucket,
    name,
    generation: info.generation,
    size: info.size,
    contentType: info.contentType,
    metadata,
  };
}

const doc = async (id: string) => (await deps.store.get<MediaDoc>(MEDIA, id))?.data;

describe('processUpload on the fixtures', () => {
  it.each([
    ['2569067123_aca715a2ee_o.jpg', 2725, 2225],
    ['Landscape_6.jpg', 600, 450],
    ['Landscape_8.jpg', 600, 450],
    ['Channel_digital_image_CMYK_color.jpg', 500, 333],
    ['Flag_of_the_Netherlands-16bit.png', 900, 600],
    ['blackbug.png', 2048, 1536],
    ['4.webp', 1024, 772],
    ['rotating-squares.gif', 80, 80],
    ['rotating-squares.webp', 80, 80],
    ['pitm.avif', 4096, 800],
  ])('%s is ready at %ix%i with three variants within bounds', async (file, width, height) => {
    const object = await upload(`uploads/${owner}/m1/${file}`, fixture(file));
    expect(await processUpload(object, deps)).toEqual({ outcome: 'ready', mediaId: 'm1' });
    const media = await doc('m1');
    expect(media).toMatchObject({ status: 'ready', width, height, failureReason: null });
    expect(media?.variants.map((v) => v.name)).toEqual(['thumb', 'small', 'medium']);
    const bounds: Record<string, number> = { thumb: 200, small: 640, medium: 1280 };
    for (const v of media!.variants) {
      expect(Math.max(v.width, v.height)).toBeLessThanOrEqual(
        Math.min(bounds[v.name]!, Math.max(width, height)),
      );
      expect(
        (
          await deps.blobs.stat(
            deps.media.bucket,
            `variants/m1/${v.name}.${v.contentType === 'image/jpeg' ? 'jpg' : 'webp'}`,
          )
        )?.size,
      ).toBe(v.size);
    }
    expect(deps.publisher.types()).toEqual(['media.uploaded', 'media.processed']);
  });

  it.each([
    ['truncated.jpg', fixture('truncated.jpg'), /truncated|incomplete|missing/i],
    ['corrupt-header.jpg', fixture('corrupt-header.jpg'), /corrupt|cannot be read|header/i],
    ['65536-uint32-limit.png', fixture('65536-uint32-limit.png'), /pixels/i],
    [
      'page.jpg',
      Buffer.from('<!DOCTYPE html><html><body>not an image</body></html>'),
      /not a supported image/i,
    ],
    ['empty.jpg', Buffer.alloc(0), /empty/i],
  ])('%s fails with a reason, no variants, quarantined', async (file, bytes, reason) => {
    const object = await upload(`uploads/${owner}/m2/${file}`, bytes);
    const result = await processUpload(object, deps);
    expect(result).toMatchObject({ outcome: 'failed', mediaId: 'm2' });
    const media = await doc('m2');
    expect(media?.status).toBe('failed');
    expect(media?.failureReason).toMatch(reason);
    expect(media?.variants).toEqual([]);
    expect(await deps.blobs.list(deps.media.bucket, 'variants/')).toEqual([]);
    expect(await deps.blobs.stat(deps.media.bucket, `failed/uploads/${owner}/m2/${file}`)).not.toBeNull();
    expect(deps.publisher.types()).toEqual(['media.uploaded', 'media.failed']);
  });
});

describe('exactly once in effect', () => {
  it('a redelivered finalize event does no second piece of work', async () => {
    const object = await upload(`uploads/${owner}/m3/photo.jpg`, fixture('Landscape_1.jpg'));
    expect((await processUpload(object, deps)).outcome).toBe('ready');
    const writes = deps.blobs.writes.length;
    const before = await doc('m3');
    for (let i = 0; i < 3; i++) expect(await processUpload(object, deps)).toEqual({ outcome: 'duplicate' });
    expect(deps.blobs.writes.length).toBe(writes);
    expect(await doc('m3')).toEqual(before);
    expect(deps.publisher.types()).toEqual(['media.uploaded', 'media.processed']);
  });

  it('concurrent deliveries of one generation: one does the work, the other is told to retry later', async () => {
    const object = await upload(`uploads/${owner}/m4/photo.jpg`, fixture('Landscape_1.jpg'));
    const results = await Promise.allSettled([processUpload(object, deps), processUpload(object, deps)]);
    const done = results.filter((r) => r.status === 'fulfilled');
    const busy = results.filter((r) => r.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(busy.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['MEDIA.BUSY']);
    expect(await processUpload(object, deps)).toEqual({ outcome: 'duplicate' });
  });

  it('a new generation of the same object is processed again', async () => {
    const first = await upload(`uploads/${owner}/m5/photo.jpg`, fixture('Landscape_1.jpg'));
    await processUpload(first, deps);
    const second = await upload(`uploads/${owner}/m5/photo.jpg`, fixture('blackbug.png'));
    expect((await processUpload(second, deps)).outcome).toBe('ready');
    expect(await doc('m5')).toMatchObject({
      width: 2048,
      height: 1536,
      processedGeneration: second.generation,
    });
    // The old generation's late delivery changes nothing.
    expect(await processUpload(first, deps)).toEqual({ outcome: 'duplicate' });
  });
});

describe('what the trigger processes', () => {
  it('an upload made without the API gets a media document of its owner', async () => {
    const name = `uploads/${owner}/holiday.webp`;
    const object = await upload(name, fixture('4.webp'));
    const id = mediaIdForObject(deps.media.bucket, name);
    expect(await processUpload(object, deps)).toEqual({ outcome: 'ready', mediaId: id });
    expect(await doc(id)).toMatchObject({ ownerId: owner, filename: 'holiday.webp', status: 'ready' });
  });

  it('variants, other prefixes, unknown owners and excluded paths are ignored', async () => {
    const photo = fixture('Landscape_1.jpg');
    const variant = await upload('variants/m1/thumb.jpg', photo, { 'taskman-variant': 'true' });
    expect((await processUpload(variant, deps)).outcome).toBe('ignored');
    const marked = await upload(`uploads/${owner}/m6/x.jpg`, photo, { 'taskman-variant': 'true' });
    expect((await processUpload(marked, deps)).outcome).toBe('ignored');
    const elsewhere = await upload('avatars/a.jpg', photo);
    expect((await processUpload(elsewhere, deps)).outcome).toBe('ignored');
    const stranger = await upload('uploads/nobody/m7/a.jpg', photo);
    expect((await processUpload(stranger, deps)).outcome).toBe('ignored');
    deps.media = parseMediaConfig({
      GOOGLE_CLOUD_PROJECT: 'demo-taskman',
      MEDIA_EXCLUDE_PATHS: 'uploads/*/private/**',
    });
    const excluded = await upload(`uploads/${owner}/private/a/b.jpg`, photo);
    expect((await processUpload(excluded, deps)).outcome).toBe('ignored');
    expect(deps.publisher.types()).toEqual([]);
  });

  it('sizes, formats and the delete-original policy come from configuration', async () => {
    deps.media = parseMediaConfig({
      GOOGLE_CLOUD_PROJECT: 'demo-taskman',
      MEDIA_SIZES: 'tiny:64x64,big:1000x1000',
      MEDIA_FORMATS: 'jpeg,webp',
      MEDIA_DELETE_ORIGINAL: 'on-success',
    });
    const object = await upload(`uploads/${owner}/m8/photo.jpg`, fixture('flowers.jpeg'));
    expect((await processUpload(object, deps)).outcome).toBe('ready');
    const media = await doc('m8');
    expect(media?.variants.map((v) => [v.name, v.contentType, v.width])).toEqual([
      ['tiny', 'image/jpeg', 64],
      ['tiny-webp', 'image/webp', 64],
      ['big', 'image/jpeg', 1000],
      ['big-webp', 'image/webp', 1000],
    ]);
    expect(await deps.blobs.stat(deps.media.bucket, object.name)).toBeNull();
  });

  it('storage trouble is retried by the platform (thrown), not recorded as a failure', async () => {
    const object = await upload(`uploads/${owner}/m9/photo.jpg`, fixture('Landscape_1.jpg'));
    deps.blobs.down = true;
    await expect(processUpload(object, deps)).rejects.toMatchObject({ code: 'DEPENDENCY.UNAVAILABLE' });
    deps.blobs.down = false;
    // Still leased by the attempt that died: the retry waits for the lease to run out.
    await expect(processUpload(object, deps)).rejects.toMatchObject({ code: 'MEDIA.BUSY' });
    deps.advance(4 * 60_000);
    expect((await processUpload(object, deps)).outcome).toBe('ready');
    expect(deps.publisher.types()).toEqual(['media.uploaded', 'media.processed']);
  });
});

describe('an object binds only to a media of the same owner and object', () => {
  const victim = owner;
  const attacker = 'ownerB';

  /** The victim's ready media `m1`, with what a takeover would change. */
  async function victimMedia() {
    await seedUser(deps, attacker);
    const object = await upload(`uploads/${victim}/m1/photo.jpg`, fixture('Landscape_1.jpg'));
    expect(await processUpload(object, deps)).toEqual({ outcome: 'ready', mediaId: 'm1' });
    const variants = async () =>
      Promise.all(
        (await deps.blobs.list(deps.media.bucket, 'variants/m1/')).sort().map(async (name) => {
          const info = await deps.blobs.stat(deps.media.bucket, name);
          return `${name}#${info?.generation}`;
        }),
      );
    return { before: await doc('m1'), variants: await variants(), now: variants };
  }

  it("another owner's object naming my media id becomes their own media and never touches mine", async () => {
    const mine = await victimMedia();
    // Not an image: before, the failure wiped my variants and marked my media failed.
    const hostile = await upload(`uploads/${attacker}/m1/x.jpg`, Buffer.from('<html>not an image</html>'));
    const failed = await processUpload(hostile, deps);
    const hostileId = mediaIdForObject(deps.media.bucket, hostile.name);
    expect(failed).toMatchObject({ outcome: 'failed', mediaId: hostileId });
    expect(await doc(hostileId)).toMatchObject({ ownerId: attacker, object: hostile.name, status: 'failed' });
    // An image: before, it replaced my variants and my download.
    const replacement = await upload(`uploads/${attacker}/m1/y.png`, fixture('blackbug.png'));
    const replacementId = mediaIdForObject(deps.media.bucket, replacement.name);
    expect(await processUpload(replacement, deps)).toEqual({ outcome: 'ready', mediaId: replacementId });
    expect(await doc(replacementId)).toMatchObject({ ownerId: attacker, width: 2048, status: 'ready' });

    expect(await doc('m1')).toEqual(mine.before);
    expect(await mine.now()).toEqual(mine.variants);
    const aboutMine = deps.publisher.published.filter((p) => p.envelope.data.mediaId === 'm1');
    expect(aboutMine.map((p) => p.envelope.eventType)).toEqual(['media.uploaded', 'media.processed']);
  });

  it("my own second object in my media's folder is a new media too, and a redelivery finds the same one", async () => {
    const mine = await victimMedia();
    const other = await upload(`uploads/${victim}/m1/other.webp`, fixture('4.webp'));
    const id = mediaIdForObject(deps.media.bucket, other.name);
    expect(await processUpload(other, deps)).toEqual({ outcome: 'ready', mediaId: id });
    expect(await processUpload(other, deps)).toEqual({ outcome: 'duplicate' });
    expect(await doc(id)).toMatchObject({ ownerId: victim, object: other.name, filename: 'other.webp' });
    expect(await doc('m1')).toEqual(mine.before);
    expect(await mine.now()).toEqual(mine.variants);
  });
});

describe('the type is the bytes', () => {
  const actor = { uid: owner, email: undefined, role: 'member' as const };

  /** Starts an upload through the API declaring `contentType`, then sends `bytes` to its object. */
  async function declared(filename: string, contentType: string, bytes: Buffer) {
    const { media } = await createUpload({ actor, filename, contentType, size: bytes.length }, deps);
    return { id: media.id, object: await upload(`uploads/${owner}/${media.id}/${filename}`, bytes) };
  }

  it('a ready media records the type sniffed from its bytes, whatever was declared', async () => {
    // Declared image/png through the API, the bytes are a JPEG.
    const png = await declared('photo.png', 'image/png', fixture('Landscape_1.jpg'));
    expect(await processUpload(png.object, deps)).toEqual({ outcome: 'ready', mediaId: png.id });
    expect(await doc(png.id)).toMatchObject({ status: 'ready', contentType: 'image/jpeg' });
    // Written straight to storage as application/octet-stream.
    const direct = await upload(`uploads/${owner}/direct.webp`, fixture('4.webp'));
    const id = mediaIdForObject(deps.media.bucket, direct.name);
    expect(await processUpload(direct, deps)).toEqual({ outcome: 'ready', mediaId: id });
    expect(await doc(id)).toMatchObject({ status: 'ready', contentType: 'image/webp' });
  });

  it('a failed media is not given the type it claimed', async () => {
    const page = await declared('page.jpg', 'image/jpeg', Buffer.from('<!DOCTYPE html><p>not an image</p>'));
    expect(await processUpload(page.object, deps)).toMatchObject({ outcome: 'failed', mediaId: page.id });
    expect(await doc(page.id)).toMatchObject({ status: 'failed', contentType: 'application/octet-stream' });
  });
});

describe('objects over the limit', () => {
  it('are refused and deleted, not copied to quarantine', async () => {
    const bytes = fixture('Landscape_1.jpg');
    deps.media = parseMediaConfig({
      GOOGLE_CLOUD_PROJECT: 'demo-taskman',
      MEDIA_MAX_UPLOAD_BYTES: String(bytes.length - 1),
    });
    const object = await upload(`uploads/${owner}/big1/photo.jpg`, bytes);
    expect(await processUpload(object, deps)).toMatchObject({ outcome: 'failed', mediaId: 'big1' });
    expect(await doc('big1')).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/larger/),
    });
    expect(await deps.blobs.stat(deps.media.bucket, object.name)).toBeNull();
    expect(await deps.blobs.list(deps.media.bucket, 'failed/')).toEqual([]);
    expect(await deps.blobs.list(deps.media.bucket, 'variants/')).toEqual([]);
  });
});
