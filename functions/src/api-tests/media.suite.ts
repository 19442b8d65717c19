/**
 * Media, end to end through the API and storage: every real fixture uploaded both ways
 * (a PUT to the signed URL of `POST /v1/media/uploads`, and `POST /v1/media` multipart),
 * processed by the storage trigger and polled until ready or failed; what the redirects of
 * download and thumbnail serve (bytes compared, variants decoded with sharp); the limits;
 * who may see and touch whose media; lists; attachments; a finalize event delivered again
 * three times; an upload made without the API. Hostile images fail with a reason a person
 * can read, leave nothing half-written, and the service stays healthy.
 */
import { randomUUID } from 'node:crypto';
import type { Media } from '@taskman/shared/domain/media.schema';
import { mediaIdForObject } from '@taskman/shared/stores/media-store';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Account, MediaApiClient, Reply } from './client.ts';
import {
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  expectValidation,
  fixture,
  listAll,
  MediaPage,
  multipartBody,
  readTask,
  StrictMedia,
  StrictTask,
  show,
  sleep,
  uploadMultipart,
  waitForMedia,
} from './expectations.ts';

const UploadReply = z.strictObject({
  media: StrictMedia,
  upload: z.strictObject({
    url: z.string().min(1),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  }),
});
const Gallery = z.strictObject({ items: z.array(StrictMedia) });
const TaskWithMedia = StrictTask.extend({ media: z.array(StrictMedia) }).strict();

/** API.md's default sizes: each fits inside a square of this side. */
const BOUNDS: Record<string, number> = { thumb: 200, small: 640, medium: 1280 };
const UPLOAD_LIMIT = 25 * 1024 * 1024;
const MULTIPART_LIMIT = 10 * 1024 * 1024;
const TIMEOUT = 90_000;

type Way = 'signed URL' | 'multipart';
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

const HTML = Buffer.from(
  '<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n',
);

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

/** The declared type of a file name, as a browser would guess it. */
function typeOf(filename: string): string {
  const ext = filename.split('.').pop()?.toLowerCase() ?? '';
  const types: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    webp: 'image/webp',
    gif: 'image/gif',
    avif: 'image/avif',
  };
  return types[ext] ?? 'application/octet-stream';
}

/** sharp's name for the format of a content type. */
const SHARP_FORMAT: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'heif',
};

/** The Location of a 302 (asserting the redirect, its request id and its empty body). */
function locationOf(reply: Reply): string {
  expectEmpty(reply, 302);
  const location = reply.headers.get('location');
  expect(location, show(reply)).toBeTruthy();
  return location ?? '';
}

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

/** Grey 32x24 pixels of an image, for comparing what two images show. */
async function thumbprint(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes).resize(32, 24, { fit: 'fill' }).greyscale().raw().toBuffer();
}

function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

export function mediaSuite(client: () => MediaApiClient): void {
  /** Starts an upload; the 201 checked and the pending media with its signed URL returned. */
  async function startUpload(
    api: MediaApiClient,
    who: Account,
    filename: string,
    size: number,
    contentType = typeOf(filename),
  ) {
    const r = await api.call('POST', '/v1/media/uploads', {
      token: who.token,
      body: { filename, contentType, size },
    });
    const created = expectOk(r, 201, UploadReply);
    expect(r.headers.get('location')).toBe(`/v1/media/${created.media.id}`);
    expect(created.media).toMatchObject({
      ownerId: who.uid,
      filename,
      size,
      status: 'pending',
      failureReason: null,
      variants: [],
      taskIds: [],
    });
    const expires = Date.parse(created.upload.expiresAt);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * 24 * 3_600_000);
    return created;
  }

  /** Uploads `bytes` one way or the other; returns the media as the upload answered it. */
  async function upload(
    api: MediaApiClient,
    who: Account,
    way: Way,
    filename: string,
    bytes: Buffer,
    contentType = typeOf(filename),
  ): Promise<Media> {
    if (way === 'multipart') {
      const media = await uploadMultipart(api, who, filename, bytes, contentType);
      expect(media).toMatchObject({ ownerId: who.uid, filename, size: bytes.length });
      return media;
    }
    const { media, upload: signed } = await startUpload(api, who, filename, bytes.length, contentType);
    const put = await api.storage.fetchSigned(signed.url, {
      method: 'PUT',
      headers: signed.headers,
      body: bytes,
    });
    expect(put.status, put.bytes.toString('utf8')).toBe(200);
    return media;
  }

  /** Follows a redirect route to storage; the served reply (asserting 302 then 200). */
  async function follow(api: MediaApiClient, who: Account, path: string) {
    const location = locationOf(await api.call('GET', path, { token: who.token }));
    const served = await api.storage.fetchSigned(location, { method: 'GET' });
    expect(served.status, `${path} → ${location}: ${served.bytes.toString('utf8').slice(0, 300)}`).toBe(200);
    return { location, served };
  }

  /** Checks every variant of a ready media as its thumbnail redirect serves it. */
  async function checkVariants(
    api: MediaApiClient,
    who: Account,
    media: Media,
  ): Promise<Map<string, Buffer>> {
    const width = media.width ?? 0;
    const height = media.height ?? 0;
    expect(media.variants.map((v) => v.name)).toEqual(['thumb', 'small', 'medium']);
    const served = new Map<string, Buffer>();
    for (const v of media.variants) {
      const bound = BOUNDS[v.name] ?? 0;
      // Fit inside, never enlarged, aspect kept (to a pixel of rounding).
      expect(Math.max(v.width, v.height), v.name).toBe(Math.min(bound, Math.max(width, height)));
      expect(v.width).toBeLessThanOrEqual(width);
      expect(v.height).toBeLessThanOrEqual(height);
      expect(Math.abs(v.width * height - v.height * width)).toBeLessThanOrEqual(Math.max(width, height));
      const { served: reply } = await follow(api, who, `/v1/media/${media.id}/thumbnail?size=${v.name}`);
      const meta = await sharp(reply.bytes).metadata();
      expect(meta.format, v.name).toBe(SHARP_FORMAT[v.contentType]);
      expect([meta.width, meta.height], v.name).toEqual([v.width, v.height]);
      expect(reply.bytes.length, v.name).toBe(v.size);
      // One still frame, upright, no metadata (EXIF with its GPS, orientation).
      expect(meta.pages ?? 1, v.name).toBe(1);
      expect(meta.exif, v.name).toBeUndefined();
      expect(meta.orientation, v.name).toBeUndefined();
      served.set(v.name, reply.bytes);
    }
    return served;
  }

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
          expect(media).toMatchObject({ status: 'ready', filename: 'photo.jpg', width: 2048, height: 1536 });
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

      it('afterwards GET /v1/health is still 200', async () => {
        const r = await client().call('GET', '/v1/health');
        expect(r.status, show(r)).toBe(200);
      });
    });

    describe('download and thumbnail', () => {
      it('redirect to exactly the uploaded bytes and to variants that decode; the default size is thumb', async () => {
        const api = client();
        const owner = await api.member('viewer');
        const bytes = fixture('flowers.jpeg');
        const uploaded = await upload(api, owner, 'signed URL', 'flowers.jpeg', bytes);
        const media = await waitForMedia(api, owner, uploaded.id);
        expect(media.status).toBe('ready');
        const download = await follow(api, owner, `/v1/media/${media.id}/download`);
        expect(download.served.bytes.equals(bytes)).toBe(true);
        const variants = await checkVariants(api, owner, media);
        const byDefault = await follow(api, owner, `/v1/media/${media.id}/thumbnail`);
        expect(byDefault.served.bytes.equals(variants.get('thumb')!)).toBe(true);
      });

      it('unknown size → 404; before the bytes arrive, thumbnail and download → 404', async () => {
        const api = client();
        const owner = await api.member('viewer');
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        for (const size of ['huge', 'optimized-webp', 'THUMB', 'thumb-webp']) {
          expectError(
            await api.call('GET', `/v1/media/${media.id}/thumbnail?size=${size}`, { token: owner.token }),
            404,
            'MEDIA.VARIANT_NOT_FOUND',
          );
        }
        const { media: pending } = await startUpload(api, owner, 'later.jpg', 1234);
        for (const size of ['thumb', 'small', 'medium']) {
          expectError(
            await api.call('GET', `/v1/media/${pending.id}/thumbnail?size=${size}`, { token: owner.token }),
            404,
            'MEDIA.VARIANT_NOT_FOUND',
          );
        }
        expectError(
          await api.call('GET', `/v1/media/${pending.id}/download`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expect(
          expectOk(
            await api.call('GET', `/v1/media/${pending.id}`, { token: owner.token }),
            200,
            StrictMedia,
          ),
        ).toEqual(pending);
      });

      it('signed URLs are what they were signed for: method and Content-Type', async () => {
        const api = client();
        const owner = await api.member('signer');
        const bytes = fixture('Landscape_1.jpg');
        const { media, upload: signed } = await startUpload(api, owner, 'signed.jpg', bytes.length);
        const wrongType = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: { ...signed.headers, 'Content-Type': 'text/html' },
          body: bytes,
        });
        expect(wrongType.status).toBe(403);
        expect((await api.storage.fetchSigned(signed.url, { method: 'GET' })).status).toBe(403);
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
        expect(
          expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }), 200, StrictMedia)
            .status,
        ).toBe('pending');
        const put = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: signed.headers,
          body: bytes,
        });
        expect(put.status).toBe(200);
        await waitForMedia(api, owner, media.id);
        const location = locationOf(
          await api.call('GET', `/v1/media/${media.id}/download`, { token: owner.token }),
        );
        const overwrite = await api.storage.fetchSigned(location, {
          method: 'PUT',
          headers: { 'Content-Type': 'image/jpeg' },
          body: HTML,
        });
        expect(overwrite.status).toBe(403);
        expect((await api.storage.fetchSigned(location, { method: 'GET' })).bytes.equals(bytes)).toBe(true);
      });
    });

    describe('limits', () => {
      it('POST /v1/media/uploads: over 25 MiB → 413, unsupported type → 415, bad names and sizes → 400; nothing created', async () => {
        const api = client();
        const owner = await api.member('limits');
        const start = (body: Record<string, unknown>) =>
          api.call('POST', '/v1/media/uploads', {
            token: owner.token,
            body: { filename: 'photo.jpg', contentType: 'image/jpeg', size: 1_000, ...body },
          });
        expectError(await start({ size: UPLOAD_LIMIT + 1 }), 413, 'REQUEST.TOO_LARGE');
        expectError(await start({ size: 2 ** 40 }), 413, 'REQUEST.TOO_LARGE');
        for (const contentType of ['text/html', 'image/svg+xml', 'application/pdf', 'video/mp4']) {
          expectError(await start({ contentType }), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
        }
        for (const filename of [
          'a/b.jpg',
          '../../etc/passwd',
          'a\\b.jpg',
          '..',
          'x\u0000.jpg',
          '',
          'x'.repeat(256),
        ]) {
          expectValidation(await start({ filename }), 'filename');
        }
        for (const size of [0, -1, 1.5]) expectValidation(await start({ size }), 'size');
        expect(await listAll(api, owner, '/v1/media', MediaPage)).toEqual([]);
        // The limit itself is allowed.
        expectOk(await start({ size: UPLOAD_LIMIT }), 201, UploadReply);
      });

      it('POST /v1/media: over 10 MiB → 413, and nothing is left behind', async () => {
        const api = client();
        const owner = await api.member('limits');
        // JPEG magic, then filler: an image as far as the first bytes tell.
        const big = (size: number) =>
          Buffer.concat([fixture('Landscape_1.jpg').subarray(0, 4_096), Buffer.alloc(size - 4_096, 0x20)]);
        for (const size of [MULTIPART_LIMIT + 1, MULTIPART_LIMIT + 512 * 1024, 12 * 1024 * 1024]) {
          const { headers, raw } = multipartBody({
            filename: 'big.jpg',
            contentType: 'image/jpeg',
            bytes: big(size),
          });
          expectError(
            await api.call('POST', '/v1/media', { token: owner.token, headers, raw }),
            413,
            'REQUEST.TOO_LARGE',
          );
        }
        expect(await listAll(api, owner, '/v1/media', MediaPage)).toEqual([]);
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
        // Control: a file within the limit is stored where the checks above looked.
        const media = await uploadMultipart(api, owner, 'Landscape_1.jpg');
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toHaveLength(1);
        expect((await listAll(api, owner, '/v1/media', MediaPage)).map((m) => m.id)).toEqual([media.id]);
      });
    });

    describe('who sees what', () => {
      it('another member gets 404 on every media route for my media, the same 404 as for none; my media is untouched', async () => {
        const api = client();
        const [owner, other] = [await api.member('owner'), await api.member('other')];
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        const mine = await createTask(api, owner);
        const theirs = await createTask(api, other);
        const own = await uploadMultipart(api, other, 'Landscape_8.jpg');
        expectOk(
          await api.call('POST', `/v1/tasks/${mine.id}/media`, {
            token: owner.token,
            body: { mediaId: media.id },
          }),
          201,
          StrictMedia,
        );
        const before = expectOk(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          200,
          StrictMedia,
        );
        const as = (method: string, path: string, body?: unknown) =>
          api.call(method, path, { token: other.token, ...(body !== undefined ? { body } : {}) });

        const hidden = [
          ['GET', `/v1/media/${media.id}`],
          ['GET', `/v1/media/${media.id}/download`],
          ['GET', `/v1/media/${media.id}/thumbnail?size=thumb`],
          ['DELETE', `/v1/media/${media.id}`],
        ] as const;
        const missing = expectError(
          await as('GET', '/v1/media/AAAAAAAAAAAAAAAAAAAA'),
          404,
          'MEDIA.NOT_FOUND',
        );
        for (const [method, path] of hidden) {
          expect(expectError(await as(method, path), 404, 'MEDIA.NOT_FOUND').message, path).toBe(
            missing.message,
          );
        }
        expectError(await as('POST', `/v1/media/${media.id}/optimize`, { format: 'webp' }), 404);
        // My media onto their own task.
        expectError(
          await as('POST', `/v1/tasks/${theirs.id}/media`, { mediaId: media.id }),
          404,
          'MEDIA.NOT_FOUND',
        );
        // My task: not theirs to see, list, attach to or detach from.
        expectError(await as('GET', `/v1/tasks/${mine.id}/media`), 404, 'TASK.NOT_FOUND');
        expectError(
          await as('POST', `/v1/tasks/${mine.id}/media`, { mediaId: own.id }),
          404,
          'TASK.NOT_FOUND',
        );
        expectError(await as('DELETE', `/v1/tasks/${mine.id}/media/${media.id}`), 404, 'TASK.NOT_FOUND');
        // Lists: only their own, whatever they ask for.
        for (const query of ['', `?ownerId=${owner.uid}`, `?taskId=${mine.id}`, '?status=ready']) {
          const ids = (await listAll(api, other, `/v1/media${query}`, MediaPage)).map((m) => m.id);
          expect(ids, query).not.toContain(media.id);
          for (const id of ids) expect(id).toBe(own.id);
        }

        const after = expectOk(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          200,
          StrictMedia,
        );
        expect(after).toEqual(before);
        expect(after.taskIds).toEqual([mine.id]);
        expect((await readTask(api, owner, mine.id)).task.mediaIds).toEqual([media.id]);
      });

      it('anonymous callers get 401 on every media route', async () => {
        const api = client();
        const owner = await api.member('owner');
        const media = await uploadMultipart(api, owner, 'Landscape_1.jpg');
        const task = await createTask(api, owner);
        const { headers, raw } = multipartBody({
          filename: 'x.jpg',
          contentType: 'image/jpeg',
          bytes: fixture('Landscape_1.jpg'),
        });
        const calls: [string, string, { body?: unknown; raw?: Buffer; headers?: Record<string, string> }][] =
          [
            [
              'POST',
              '/v1/media/uploads',
              { body: { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 } },
            ],
            ['POST', '/v1/media', { headers, raw }],
            ['GET', '/v1/media', {}],
            ['GET', `/v1/media/${media.id}`, {}],
            ['GET', `/v1/media/${media.id}/download`, {}],
            ['GET', `/v1/media/${media.id}/thumbnail?size=thumb`, {}],
            ['POST', `/v1/media/${media.id}/optimize`, { body: { format: 'webp' } }],
            ['DELETE', `/v1/media/${media.id}`, {}],
            ['POST', `/v1/tasks/${task.id}/media`, { body: { mediaId: media.id } }],
            ['DELETE', `/v1/tasks/${task.id}/media/${media.id}`, {}],
            ['GET', `/v1/tasks/${task.id}/media`, {}],
          ];
        for (const [method, path, options] of calls) {
          expectError(await api.call(method, path, options), 401, 'AUTH.UNAUTHENTICATED');
        }
        expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }), 200, StrictMedia);
      });

      it("an admin reads a member's media and lists it with ?ownerId=", async () => {
        const api = client();
        const owner = await api.member('owner');
        const admin = await api.admin();
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        expect(
          expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: admin.token }), 200, StrictMedia),
        ).toEqual(media);
        expect(
          (await follow(api, admin, `/v1/media/${media.id}/download`)).served.bytes.equals(
            fixture('Landscape_1.jpg'),
          ),
        ).toBe(true);
        await follow(api, admin, `/v1/media/${media.id}/thumbnail?size=small`);
        const listed = await listAll(api, admin, `/v1/media?ownerId=${owner.uid}`, MediaPage);
        expect(listed).toEqual([media]);
        const own = await listAll(api, admin, '/v1/media', MediaPage);
        expect(own.map((m) => m.id)).not.toContain(media.id);
      });
    });

    describe('lists', () => {
      it('?status= filters, ?taskId= filters, cursors page through everything once, newest first', async () => {
        const api = client();
        const owner = await api.member('lister');
        const ready = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        const failed = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'corrupt-header.jpg')).id,
        );
        expect([ready.status, failed.status]).toEqual(['ready', 'failed']);
        const pending: Media[] = [];
        for (let i = 0; i < 5; i++) {
          pending.push((await startUpload(api, owner, `p${i}.jpg`, 100 + i)).media);
          await sleep(2); // distinct creation times
        }
        const ids = async (query: string) =>
          (await listAll(api, owner, `/v1/media${query}`, MediaPage)).map((m) => m.id);
        expect(await ids('?status=ready')).toEqual([ready.id]);
        expect(await ids('?status=failed')).toEqual([failed.id]);
        expect(await ids('?status=pending')).toEqual(pending.map((m) => m.id).reverse());
        expect(await ids('?status=processing')).toEqual([]);

        const task = await createTask(api, owner);
        for (const m of [failed, ready]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${task.id}/media`, {
              token: owner.token,
              body: { mediaId: m.id },
            }),
            201,
            StrictMedia,
          );
        }
        expect((await ids(`?taskId=${task.id}`)).sort()).toEqual([failed.id, ready.id].sort());
        expect(await ids(`?taskId=${task.id}&status=ready`)).toEqual([ready.id]);
        expect(await ids(`?taskId=${(await createTask(api, owner)).id}`)).toEqual([]);

        // Paging by 2: every media once, in the order of one unpaged read, newest first.
        const all = await listAll(api, owner, '/v1/media', MediaPage);
        expect(all).toHaveLength(7);
        const pages: string[][] = [];
        let cursor: string | null = null;
        do {
          const path: string = `/v1/media?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = expectOk(await api.call('GET', path, { token: owner.token }), 200, MediaPage);
          expect(page.items.length).toBeLessThanOrEqual(2);
          pages.push(page.items.map((m) => m.id));
          cursor = page.nextCursor;
        } while (cursor && pages.length < 10);
        expect(pages.flat()).toEqual(all.map((m) => m.id));
        expect(pages.length).toBe(4);
        const created = all.map((m) => m.createdAt);
        expect([...created].sort().reverse()).toEqual(created);
        expect(all.slice(0, 5).map((m) => m.id)).toEqual(pending.map((m) => m.id).reverse());
      });
    });

    describe('attachments', () => {
      it('attach 201, again 200, gallery in attachment order, ?include=media, detach 204', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const a = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'Landscape_6.jpg')).id);
        const b = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id);
        const attach = (m: Media) =>
          api.call('POST', `/v1/tasks/${task.id}/media`, { token: owner.token, body: { mediaId: m.id } });
        const first = expectOk(await attach(b), 201, StrictMedia);
        expect(first).toMatchObject({ id: b.id, taskIds: [task.id] });
        expect(expectOk(await attach(b), 200, StrictMedia)).toEqual(first);
        expectOk(await attach(a), 201, StrictMedia);
        expect(expectOk(await attach(a), 200, StrictMedia).taskIds).toEqual([task.id]);

        const gallery = async () =>
          expectOk(await api.call('GET', `/v1/tasks/${task.id}/media`, { token: owner.token }), 200, Gallery)
            .items;
        expect((await gallery()).map((m) => m.id)).toEqual([b.id, a.id]);
        const { task: read } = await readTask(api, owner, task.id);
        expect(read.mediaIds).toEqual([b.id, a.id]);
        const withMedia = expectOk(
          await api.call('GET', `/v1/tasks/${task.id}?include=media`, { token: owner.token }),
          200,
          TaskWithMedia,
        );
        expect(withMedia.media.map((m) => m.id)).toEqual([b.id, a.id]);
        expect(withMedia.media.every((m) => m.taskIds.includes(task.id) && m.status === 'ready')).toBe(true);
        // Without ?include=media the task has no media field.
        expect(await readTask(api, owner, task.id)).toMatchObject({ task: { mediaIds: [b.id, a.id] } });

        expectEmpty(
          await api.call('DELETE', `/v1/tasks/${task.id}/media/${b.id}`, { token: owner.token }),
          204,
        );
        expect((await gallery()).map((m) => m.id)).toEqual([a.id]);
        expect(
          expectOk(await api.call('GET', `/v1/media/${b.id}`, { token: owner.token }), 200, StrictMedia)
            .taskIds,
        ).toEqual([]);
        expectError(
          await api.call('DELETE', `/v1/tasks/${task.id}/media/${b.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        // Attached again: at the end.
        expectOk(await attach(b), 201, StrictMedia);
        expect((await gallery()).map((m) => m.id)).toEqual([a.id, b.id]);
      });

      it("someone else's media → 404; an assignee attaching to a task they do not own → 403", async () => {
        const api = client();
        const [owner, assignee, stranger] = [
          await api.member('owner'),
          await api.member('assignee'),
          await api.member('stranger'),
        ];
        const task = await createTask(api, owner, { assigneeId: assignee.uid });
        const strangers = await uploadMultipart(api, stranger, 'Landscape_1.jpg');
        const assignees = await uploadMultipart(api, assignee, 'Landscape_1.jpg');
        expectError(
          await api.call('POST', `/v1/tasks/${task.id}/media`, {
            token: owner.token,
            body: { mediaId: strangers.id },
          }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expectError(
          await api.call('POST', `/v1/tasks/${task.id}/media`, {
            token: assignee.token,
            body: { mediaId: assignees.id },
          }),
          403,
          'AUTH.FORBIDDEN',
        );
        // The assignee sees the (empty) gallery; nothing was attached.
        expect(
          expectOk(
            await api.call('GET', `/v1/tasks/${task.id}/media`, { token: assignee.token }),
            200,
            Gallery,
          ).items,
        ).toEqual([]);
        expect((await readTask(api, owner, task.id)).task.mediaIds).toEqual([]);
        for (const [who, m] of [
          [stranger, strangers],
          [assignee, assignees],
        ] as const) {
          expect(
            expectOk(await api.call('GET', `/v1/media/${m.id}`, { token: who.token }), 200, StrictMedia)
              .taskIds,
          ).toEqual([]);
        }
      });

      it('deleting the task detaches its media, which stay with their owner', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const other = await createTask(api, owner);
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        for (const t of [task, other]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${t.id}/media`, {
              token: owner.token,
              body: { mediaId: media.id },
            }),
            201,
            StrictMedia,
          );
        }
        expectEmpty(await api.call('DELETE', `/v1/tasks/${task.id}`, { token: owner.token }), 204);
        const after = expectOk(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          200,
          StrictMedia,
        );
        expect(after).toMatchObject({ status: 'ready', taskIds: [other.id] });
        expectEmpty(await api.call('DELETE', `/v1/tasks/${other.id}`, { token: owner.token }), 204);
        expect(
          expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }), 200, StrictMedia)
            .taskIds,
        ).toEqual([]);
        await follow(api, owner, `/v1/media/${media.id}/thumbnail?size=thumb`);
      });

      it('deleting media: 204, detached from its tasks, original and variants gone; again → 404', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const keep = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        const media = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'blackbug.png')).id);
        for (const m of [media, keep]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${task.id}/media`, {
              token: owner.token,
              body: { mediaId: m.id },
            }),
            201,
            StrictMedia,
          );
        }
        const original = (await follow(api, owner, `/v1/media/${media.id}/download`)).location;
        const thumb = (await follow(api, owner, `/v1/media/${media.id}/thumbnail?size=thumb`)).location;
        expect(await api.storage.list(`variants/${media.id}/`)).toHaveLength(3);
        expect(await api.storage.list(`uploads/${owner.uid}/${media.id}/`)).toHaveLength(1);

        expectEmpty(await api.call('DELETE', `/v1/media/${media.id}`, { token: owner.token }), 204);
        expectError(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expectError(
          await api.call('GET', `/v1/media/${media.id}/download`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expect((await readTask(api, owner, task.id)).task.mediaIds).toEqual([keep.id]);
        expect(
          expectOk(
            await api.call('GET', `/v1/tasks/${task.id}/media`, { token: owner.token }),
            200,
            Gallery,
          ).items.map((m) => m.id),
        ).toEqual([keep.id]);
        expect(await api.storage.list(`variants/${media.id}/`)).toEqual([]);
        expect(await api.storage.list(`uploads/${owner.uid}/${media.id}/`)).toEqual([]);
        // Links handed out before the delete lead nowhere now.
        expect((await api.storage.fetchSigned(original, { method: 'GET' })).status).toBe(404);
        expect((await api.storage.fetchSigned(thumb, { method: 'GET' })).status).toBe(404);
        expectError(
          await api.call('DELETE', `/v1/media/${media.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expect((await listAll(api, owner, '/v1/media', MediaPage)).map((m) => m.id)).toEqual([keep.id]);
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
        const variants = async () =>
          Promise.all(
            (await api.storage.list(`variants/${media.id}/`)).sort().map(async (n) => {
              const o = await api.storage.object(n);
              return `${n}#${o?.generation}`;
            }),
          );
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
        const deadline = Date.now() + 30_000;
        let r = await api.call('GET', `/v1/media/${id}`, { token: owner.token });
        while (r.status === 404 && Date.now() < deadline) {
          await sleep(50);
          r = await api.call('GET', `/v1/media/${id}`, { token: owner.token });
        }
        expectOk(r, 200, StrictMedia);
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
    });
  });
}
