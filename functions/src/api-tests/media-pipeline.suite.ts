/**
 * Media through the pipeline: every real fixture uploaded both ways (a PUT to the signed URL
 * of `POST /v1/media/uploads`, and `POST /v1/media` multipart), processed by the storage
 * trigger and polled until ready, its variants and original checked as served; hostile images
 * fail with a reason a person can read, leave nothing half-written, and the service stays
 * healthy; the storage trigger itself, given a finalize event delivered again three times and
 * an upload made without the API.
 */
import { randomUUID } from 'node:crypto';
import type { Media } from '@taskman/shared/domain/media.schema';
import { mediaIdForObject } from '@taskman/shared/stores/media-store';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Account, MediaApiClient } from './client.ts';
import {
  attachMedia,
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  expectValidation,
  fixture,
  listAll,
  MediaPage,
  multipartBody,
  StrictMedia,
  show,
  sleep,
  uploadMultipart,
  waitForMedia,
} from './expectations.ts';
import {
  checkVariants,
  follow,
  HTML,
  startUpload,
  TIMEOUT,
  typeOf,
  upload,
  type Way,
} from './media-helpers.ts';

const WAYS: Way[] = ['signed URL', 'multipart'];

/** Photos and other images the pipeline must accept, with their upright dimensions. */
const ACCEPTED: readonly [file: string, width: number, height: number, what: string][] = [
  ['2569067123_aca715a2ee_o.jpg', 2725, 2225, 'the benchmark photo'],
  ['flowers.jpeg', 1920, 1080, 'a photo'],
  ['Landscape_1.jpg', 600, 450, 'EXIF orientation 1'],
  ['Landscape_3.jpg', 600, 450, 'EXIF orientation 3, upright'],
  ['Landscape_6.jpg', 600, 450, 'EXIF orientation 6, upright'],
  ['Landscape_8.jpg', 600, 450, 'EXIF orientation 8, upright'],
  ['Channel_digital_image_CMYK_color.jpg', 500, 333, 'CMYK with an ICC profile'],
  ['Flag_of_the_Netherlands-16bit.png', 900, 600, '16-bit PNG'],
  ['blackbug.png', 2048, 1536, 'PNG with transparency'],
  ['4.webp', 1024, 772, 'WebP'],
  ['pitm.avif', 4096, 800, 'AVIF with 5 items'],
  ['rotating-squares.gif', 80, 80, 'animated GIF'],
  ['rotating-squares.webp', 80, 80, 'animated WebP'],
];

/**
 * Files the pipeline must refuse: what the failure reason must say, and how `POST /v1/media`
 * answers, which checks the first bytes as they pass (`stored`: it takes the file, and
 * processing fails it later).
 */
interface Refused {
  label: string;
  filename: string;
  bytes: () => Buffer;
  reason: RegExp;
  multipart: 'stored' | { status: 400 | 415; code: 'REQUEST.VALIDATION' | 'REQUEST.UNSUPPORTED_MEDIA_TYPE' };
}

const REFUSED: readonly Refused[] = [
  {
    label: 'truncated JPEG',
    filename: 'truncated.jpg',
    bytes: () => fixture('truncated.jpg'),
    reason: /incomplete|truncated/i,
    multipart: 'stored',
  },
  {
    label: 'corrupt header',
    filename: 'corrupt-header.jpg',
    bytes: () => fixture('corrupt-header.jpg'),
    reason: /damaged|corrupt|cannot be read/i,
    multipart: 'stored',
  },
  {
    label: 'decompression bomb',
    filename: '65536-uint32-limit.png',
    bytes: () => fixture('65536-uint32-limit.png'),
    reason: /65536x65536.*megapixels/,
    multipart: 'stored',
  },
  {
    label: 'HTML named .jpg',
    filename: 'page.jpg',
    bytes: () => HTML,
    reason: /not a supported image/i,
    multipart: { status: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    label: 'an empty file',
    filename: 'empty.jpg',
    bytes: () => Buffer.alloc(0),
    reason: /empty/i,
    multipart: { status: 400, code: 'REQUEST.VALIDATION' },
  },
];

/** A failed media whose reason is one sentence a person can read, with nothing half-made. */
function expectReadableFailure(media: Media, reason: RegExp): void {
  expect(media, JSON.stringify(media)).toMatchObject({
    status: 'failed',
    width: null,
    height: null,
    variants: [],
  });
  const text = media.failureReason ?? '';
  expect(text).toMatch(reason);
  expect(text).toMatch(/^[A-Z][^\n]{9,300}\.$/);
  expect(text).not.toMatch(/Error|vips|libjpeg|\bat \S+ \(|node_modules|\/src\//);
}

/** The media a storage write made without the API, once the trigger has made it (polling its 404). */
async function mediaOnceMade(api: MediaApiClient, who: Account, id: string): Promise<Media> {
  const deadline = Date.now() + 30_000;
  let r = await api.call('GET', `/v1/media/${id}`, { token: who.token });
  while (r.status === 404 && Date.now() < deadline) {
    await sleep(50);
    r = await api.call('GET', `/v1/media/${id}`, { token: who.token });
  }
  return expectOk(r, 200, StrictMedia);
}

/** `name#generation` of each variant object of a media, sorted: what a rewrite would change. */
async function variantGenerations(api: MediaApiClient, mediaId: string): Promise<string[]> {
  return Promise.all(
    (await api.storage.list(`variants/${mediaId}/`)).sort().map(async (n) => {
      const o = await api.storage.object(n);
      return `${n}#${o?.generation}`;
    }),
  );
}

/** Grey 32x24 pixels of an image, for comparing what two images show. */
async function thumbprint(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes).resize(32, 24, { fit: 'fill' }).greyscale().raw().toBuffer();
}

function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

export function mediaPipelineSuite(client: () => MediaApiClient): void {
  describe('media', { timeout: TIMEOUT }, () => {
    describe('every fixture, uploaded both ways', () => {
      for (const way of WAYS) {
        for (const [file, width, height, what] of ACCEPTED) {
          it(`${way}: ${file} (${what}) is ready at ${width}x${height} with three variants`, async () => {
            const api = client();
            const owner = await api.member('uploader');
            const bytes = fixture(file);
            const uploaded = await upload(api, owner, way, file, bytes);
            const media = await waitForMedia(api, owner, uploaded.id);
            expect(media, JSON.stringify(media)).toMatchObject({
              id: uploaded.id,
              ownerId: owner.uid,
              filename: file,
              size: bytes.length,
              status: 'ready',
              failureReason: null,
              width,
              height,
              taskIds: [],
            });
            const variants = await checkVariants(api, owner, media);
            if (file.startsWith('Landscape_')) {
              // Upright: the picture the orientation-1 file shows, not turned or mirrored.
              const reference = await thumbprint(fixture('Landscape_1.jpg'));
              const difference = meanDifference(reference, await thumbprint(variants.get('small')!));
              expect(difference).toBeLessThan(10);
            }
            const { served } = await follow(api, owner, `/v1/media/${media.id}/download`);
            expect(served.bytes.equals(bytes)).toBe(true);
          });
        }

        it(`${way}: a PNG with transparency named .jpg and declared image/jpeg is ready: the bytes decide`, async () => {
          const api = client();
          const owner = await api.member('uploader');
          const bytes = fixture('blackbug.png');
          const uploaded = await upload(api, owner, way, 'photo.jpg', bytes, 'image/jpeg');
          const media = await waitForMedia(api, owner, uploaded.id);
          expect(media).toMatchObject({
            status: 'ready',
            filename: 'photo.jpg',
            contentType: 'image/png',
            width: 2048,
            height: 1536,
          });
          await checkVariants(api, owner, media);
        });
      }
    });

    describe('hostile images', () => {
      for (const { label, filename, bytes: bytesOf, reason, multipart } of REFUSED) {
        it(`signed URL: ${label} → failed with a readable reason, no variants`, async () => {
          const api = client();
          const owner = await api.member('hostile');
          const bytes = bytesOf();
          if (bytes.length === 0) {
            // Announced as empty: refused before anything is stored.
            const r = await api.call('POST', '/v1/media/uploads', {
              token: owner.token,
              body: { filename, contentType: 'image/jpeg', size: 0 },
            });
            expectValidation(r, 'size');
            expect(await listAll(api, owner, '/v1/media', MediaPage)).toEqual([]);
            // Announced with a size, then sent empty: the pipeline refuses it.
            const { media, upload: signed } = await startUpload(api, owner, filename, 1_000, 'image/jpeg');
            const put = await api.storage.fetchSigned(signed.url, {
              method: 'PUT',
              headers: signed.headers,
              body: bytes,
            });
            expect(put.status).toBe(200);
            const failed = await waitForMedia(api, owner, media.id);
            expectReadableFailure(failed, reason);
            expect(failed.size).toBe(0);
            expect(await api.storage.list(`variants/${media.id}/`)).toEqual([]);
            return;
          }
          // The client's claim (an image/jpeg, an image/png) is not what decides.
          const uploaded = await upload(api, owner, 'signed URL', filename, bytes, typeOf(filename));
          const failed = await waitForMedia(api, owner, uploaded.id);
          expectReadableFailure(failed, reason);
          expect(await api.storage.list(`variants/${uploaded.id}/`)).toEqual([]);
          expectError(
            await api.call('GET', `/v1/media/${uploaded.id}/thumbnail?size=thumb`, { token: owner.token }),
            404,
            'MEDIA.VARIANT_NOT_FOUND',
          );
          // The original stays downloadable by its owner, byte for byte.
          const { served } = await follow(api, owner, `/v1/media/${uploaded.id}/download`);
          expect(served.bytes.equals(bytes)).toBe(true);
        });

        it(`multipart: ${label} → refused up front, or failed with a readable reason`, async () => {
          const api = client();
          const owner = await api.member('hostile');
          const bytes = bytesOf();
          const { headers, raw } = multipartBody({ filename, contentType: typeOf(filename), bytes });
          const r = await api.call('POST', '/v1/media', { token: owner.token, headers, raw });
          if (multipart !== 'stored') {
            const error = expectError(r, multipart.status, multipart.code);
            if (multipart.status === 400)
              expect(error.details?.issues).toEqual([{ path: 'file', reason: 'empty' }]);
            expect(await listAll(api, owner, '/v1/media', MediaPage)).toEqual([]);
            expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
            return;
          }
          // Images whose damage is past their first bytes are stored, then fail processing.
          const media = expectOk(r, 201, StrictMedia);
          const failed = await waitForMedia(api, owner, media.id);
          expectReadableFailure(failed, reason);
          expect(await api.storage.list(`variants/${media.id}/`)).toEqual([]);
        });
      }

      it('deleting a failed media removes its quarantined copy too', async () => {
        const api = client();
        const owner = await api.member('hostile');
        const uploaded = await upload(api, owner, 'signed URL', 'page.jpg', HTML, 'image/jpeg');
        expect((await waitForMedia(api, owner, uploaded.id)).status).toBe('failed');
        expect(await api.storage.list(`failed/uploads/${owner.uid}/${uploaded.id}/`)).toHaveLength(1);
        expectEmpty(await api.call('DELETE', `/v1/media/${uploaded.id}`, { token: owner.token }), 204);
        expect(await api.storage.list(`failed/uploads/${owner.uid}/`)).toEqual([]);
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
      });

      it('afterwards GET /v1/health is still 200', async () => {
        const r = await client().call('GET', '/v1/health');
        expect(r.status, show(r)).toBe(200);
      });
    });

    describe('the storage trigger', () => {
      it('the same finalize event delivered 3 more times: one set of variants, one update, one media.processed', async () => {
        const api = client();
        const owner = await api.member('redelivery');
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        expect(media.status).toBe('ready');
        const [name, ...others] = await api.storage.list(`uploads/${owner.uid}/${media.id}/`);
        expect(others).toEqual([]);
        const object = await api.storage.object(name!);
        expect(object).not.toBeNull();
        const variants = () => variantGenerations(api, media.id);
        const before = await variants();
        expect(before).toHaveLength(3);
        const processed = async () => {
          const deadline = Date.now() + 20_000;
          let events = await api.storage.mediaEvents(media.id);
          while (!events.some((e) => e.eventType === 'media.processed') && Date.now() < deadline) {
            await sleep(100);
            events = await api.storage.mediaEvents(media.id);
          }
          return events;
        };
        expect((await processed()).filter((e) => e.eventType === 'media.processed')).toHaveLength(1);

        const id = `redelivery-${randomUUID()}`;
        for (let i = 0; i < 3; i++) {
          const status = await api.storage.deliverFinalized(object!, id);
          expect(status, `delivery ${i + 1}`).toBeGreaterThanOrEqual(200);
          expect(status, `delivery ${i + 1}`).toBeLessThan(300);
        }
        await sleep(api.storage.quietMs);
        expect(
          expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }), 200, StrictMedia),
        ).toEqual(media);
        expect(await variants()).toEqual(before);
        const events = await api.storage.mediaEvents(media.id);
        expect(events.filter((e) => e.eventType === 'media.processed')).toHaveLength(1);
        expect(events.filter((e) => e.eventType === 'media.uploaded')).toHaveLength(1);
        expect(events.filter((e) => e.eventType === 'media.failed')).toHaveLength(0);

        // Control: the same delivery for a newer generation is work to do, so the events
        // above did reach the pipeline and were recognised as repeats.
        const newer = { ...object!, generation: String(BigInt(object!.generation) + 1n) };
        expect(await api.storage.deliverFinalized(newer, `redelivery-${randomUUID()}`)).toBeLessThan(300);
        const deadline = Date.now() + 30_000;
        let again = await waitForMedia(api, owner, media.id);
        while (again.updatedAt === media.updatedAt && Date.now() < deadline) {
          await sleep(50);
          again = await waitForMedia(api, owner, media.id);
        }
        expect(again).toMatchObject({ status: 'ready', width: 600, height: 450 });
        expect(again.updatedAt).not.toBe(media.updatedAt);
        await sleep(api.storage.quietMs);
        const later = await processed();
        expect(later.filter((e) => e.eventType === 'media.processed')).toHaveLength(2);
      });

      it('an object written straight under uploads/<uid>/ becomes a media of that user', async () => {
        const api = client();
        const [owner, other] = [await api.member('direct'), await api.member('other')];
        const filename = `direct-${randomUUID().slice(0, 8)}.jpg`;
        const name = `uploads/${owner.uid}/${filename}`;
        const bytes = fixture('Landscape_8.jpg');
        await api.storage.writeObject(name, bytes, 'image/jpeg');
        const id = mediaIdForObject(await api.storage.bucket(), name);
        await mediaOnceMade(api, owner, id);
        const media = await waitForMedia(api, owner, id);
        expect(media).toMatchObject({
          id,
          ownerId: owner.uid,
          filename,
          size: bytes.length,
          status: 'ready',
          width: 600,
          height: 450,
          taskIds: [],
        });
        await checkVariants(api, owner, media);
        expect((await follow(api, owner, `/v1/media/${id}/download`)).served.bytes.equals(bytes)).toBe(true);
        expect((await listAll(api, owner, '/v1/media', MediaPage)).map((m) => m.id)).toEqual([id]);
        expectError(await api.call('GET', `/v1/media/${id}`, { token: other.token }), 404, 'MEDIA.NOT_FOUND');
        // It is the owner's like any other: attachable, deletable.
        const task = await createTask(api, owner);
        expectOk(
          await api.call('POST', `/v1/tasks/${task.id}/media`, { token: owner.token, body: { mediaId: id } }),
          201,
          StrictMedia,
        );
        expectEmpty(await api.call('DELETE', `/v1/media/${id}`, { token: owner.token }), 204);
        expect(await api.storage.object(name)).toBeNull();
      });

      it("an object under my prefix naming another member's media id becomes my own media and never touches theirs", async () => {
        const api = client();
        const [victim, member] = [await api.member('victim'), await api.member('assignee')];
        const bytes = fixture('Landscape_1.jpg');
        const theirs = await waitForMedia(
          api,
          victim,
          (await uploadMultipart(api, victim, 'photo.jpg', bytes)).id,
        );
        expect(theirs.status).toBe('ready');
        // The assignee of their task sees the media's id in the task's gallery.
        const task = await createTask(api, victim, { assigneeId: member.uid });
        await attachMedia(api, victim, task.id, theirs.id);
        const seen = expectOk(
          await api.call('GET', `/v1/tasks/${task.id}/media`, { token: member.token }),
          200,
          z.object({ items: z.array(StrictMedia) }),
        );
        expect(seen.items.map((m) => m.id)).toEqual([theirs.id]);
        const before = expectOk(
          await api.call('GET', `/v1/media/${theirs.id}`, { token: victim.token }),
          200,
          StrictMedia,
        );
        const variantsBefore = await variantGenerations(api, theirs.id);
        const bucket = await api.storage.bucket();
        // Written straight to storage, as the storage rules allow under one's own prefix: an
        // HTML page (whose failure would wipe variants) and an image (which would replace them).
        const hostile = [
          { name: `uploads/${member.uid}/${theirs.id}/x.jpg`, bytes: HTML, status: 'failed' },
          {
            name: `uploads/${member.uid}/${theirs.id}/y.png`,
            bytes: fixture('blackbug.png'),
            status: 'ready',
          },
        ] as const;
        for (const h of hostile) {
          await api.storage.writeObject(h.name, h.bytes, 'image/jpeg');
          const id = mediaIdForObject(bucket, h.name);
          expect((await mediaOnceMade(api, member, id)).ownerId).toBe(member.uid);
          expect((await waitForMedia(api, member, id)).status).toBe(h.status);
        }
        await sleep(api.storage.quietMs);
        expect(
          expectOk(
            await api.call('GET', `/v1/media/${theirs.id}`, { token: victim.token }),
            200,
            StrictMedia,
          ),
        ).toEqual(before);
        expect(await variantGenerations(api, theirs.id)).toEqual(variantsBefore);
        expect(
          (await follow(api, victim, `/v1/media/${theirs.id}/download`)).served.bytes.equals(bytes),
        ).toBe(true);
        const events = (await api.storage.mediaEvents(theirs.id)).map((e) => e.eventType);
        expect(events.filter((t) => t === 'media.processed')).toHaveLength(1);
        expect(events.filter((t) => t === 'media.failed')).toEqual([]);
        expect(events.filter((t) => t === 'media.uploaded')).toHaveLength(1);
      });

      it("an object larger than its media's declared size is refused and deleted, not quarantined", async () => {
        const api = client();
        const owner = await api.member('oversize');
        const bytes = fixture('Landscape_1.jpg');
        const { media } = await startUpload(api, owner, 'photo.jpg', 1_000);
        // Written past the signed URL (which would refuse it), straight under the media's name.
        const name = `uploads/${owner.uid}/${media.id}/photo.jpg`;
        await api.storage.writeObject(name, bytes, 'image/jpeg');
        const failed = await waitForMedia(api, owner, media.id);
        expectReadableFailure(failed, /larger than/);
        expect(await api.storage.object(name)).toBeNull();
        expect(await api.storage.list(`failed/uploads/${owner.uid}/`)).toEqual([]);
        expect(await api.storage.list(`variants/${media.id}/`)).toEqual([]);
      });
    });
  });
}
