/**
 * Media access: what the download and thumbnail redirects serve (the uploaded bytes, variants
 * that decode, signed URLs good for what they were signed for only); the size, type and name
 * limits of both ways to upload; and who may see and touch whose media (another member, an
 * anonymous caller, an admin).
 */
import { describe, expect, it } from 'vitest';
import type { MediaApiClient } from './client.ts';
import {
  createTask,
  expectError,
  expectOk,
  expectValidation,
  fixture,
  listAll,
  MediaPage,
  multipartBody,
  readTask,
  StrictMedia,
  uploadMultipart,
  waitForMedia,
} from './expectations.ts';
import {
  checkVariants,
  follow,
  HTML,
  locationOf,
  startUpload,
  TIMEOUT,
  UploadReply,
  upload,
} from './media-helpers.ts';

/** The largest upload `POST /v1/media/uploads` signs a URL for. */
const UPLOAD_LIMIT = 25 * 1024 * 1024;
/** The largest file `POST /v1/media` takes in its body. */
const MULTIPART_LIMIT = 10 * 1024 * 1024;

export function mediaAccessSuite(client: () => MediaApiClient): void {
  describe('media', { timeout: TIMEOUT }, () => {
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

      it('a size that is not configured → 400; a variant not made (yet) → 404; before the bytes arrive, thumbnail and download → 404', async () => {
        const api = client();
        const owner = await api.member('viewer');
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        for (const size of ['huge', 'THUMB', 'thumb-webp', 'optimized-gif']) {
          expectValidation(
            await api.call('GET', `/v1/media/${media.id}/thumbnail?size=${size}`, { token: owner.token }),
            'query.size',
          );
        }
        expectError(
          await api.call('GET', `/v1/media/${media.id}/thumbnail?size=optimized-webp`, {
            token: owner.token,
          }),
          404,
          'MEDIA.VARIANT_NOT_FOUND',
        );
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
      it('a signed upload URL takes at most the declared size, and only once', async () => {
        const api = client();
        const owner = await api.member('signer');
        const bytes = fixture('Landscape_1.jpg');
        const { media, upload: signed } = await startUpload(api, owner, 'bounded.jpg', bytes.length);
        expect(signed.headers).toEqual({
          'Content-Type': 'image/jpeg',
          'x-goog-content-length-range': `0,${bytes.length}`,
          'x-goog-if-generation-match': '0',
        });
        const tooLarge = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: signed.headers,
          body: Buffer.concat([bytes, Buffer.alloc(1)]),
        });
        expect(tooLarge.status, tooLarge.bytes.toString('utf8')).toBe(400);
        expect(tooLarge.bytes.toString('utf8')).toContain('<Code>EntityTooLarge</Code>');
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
        // The bounds are signed: a PUT without them is refused.
        const unbounded = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: { 'Content-Type': 'image/jpeg' },
          body: bytes,
        });
        expect(unbounded.status).toBe(403);
        const put = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: signed.headers,
          body: bytes,
        });
        expect(put.status, put.bytes.toString('utf8')).toBe(200);
        const again = await api.storage.fetchSigned(signed.url, {
          method: 'PUT',
          headers: signed.headers,
          body: fixture('Landscape_3.jpg').subarray(0, bytes.length),
        });
        expect(again.status, again.bytes.toString('utf8')).toBe(412);
        expect(again.bytes.toString('utf8')).toContain('<Code>PreconditionFailed</Code>');
        expect((await waitForMedia(api, owner, media.id)).status).toBe('ready');
        expect((await follow(api, owner, `/v1/media/${media.id}/download`)).served.bytes.equals(bytes)).toBe(
          true,
        );
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

      it('POST /v1/media: file names go through the rules of POST /v1/media/uploads (400, nothing created)', async () => {
        const api = client();
        const owner = await api.member('limits');
        for (const filename of ['a/b.jpg', '../../etc/passwd', '..', 'x'.repeat(256)]) {
          const { headers, raw } = multipartBody({
            filename,
            contentType: 'image/jpeg',
            bytes: fixture('Landscape_1.jpg'),
          });
          expectValidation(
            await api.call('POST', '/v1/media', { token: owner.token, headers, raw }),
            'filename',
          );
        }
        expect(await listAll(api, owner, '/v1/media', MediaPage)).toEqual([]);
        expect(await api.storage.list(`uploads/${owner.uid}/`)).toEqual([]);
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
  });
}
