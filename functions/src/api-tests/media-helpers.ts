/**
 * What the media suites share: the reply of `POST /v1/media/uploads`, API.md's variant
 * sizes, the two ways to upload, and the steps every suite takes (start an upload, upload one
 * way or the other, follow a download or thumbnail redirect to storage, check the variants a
 * ready media serves). Each step asserts as it goes, as the suites did inline.
 */
import type { Media } from '@taskman/shared/domain/media.schema';
import sharp from 'sharp';
import { expect } from 'vitest';
import { z } from 'zod';
import type { Account, MediaApiClient, Reply } from './client.ts';
import { expectEmpty, expectOk, StrictMedia, show, uploadMultipart } from './expectations.ts';

/** The 201 of `POST /v1/media/uploads`: the pending media and how to PUT its bytes. */
export const UploadReply = z.strictObject({
  media: StrictMedia,
  upload: z.strictObject({
    url: z.string().min(1),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  }),
});

/** API.md's default sizes: each fits inside a square of this side. */
const BOUNDS: Record<string, number> = { thumb: 200, small: 640, medium: 1280 };
/** Each media test's timeout (processing real photos, on the emulators too). */
export const TIMEOUT = 90_000;

/** How a file reaches storage: a PUT to a signed URL, or `POST /v1/media` multipart. */
export type Way = 'signed URL' | 'multipart';

/** An HTML page with a script: not an image, whatever its name says. */
export const HTML = Buffer.from(
  '<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n',
);

/** The declared type of a file name, as a browser would guess it. */
export function typeOf(filename: string): string {
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
export function locationOf(reply: Reply): string {
  expectEmpty(reply, 302);
  const location = reply.headers.get('location');
  expect(location, show(reply)).toBeTruthy();
  return location ?? '';
}

/** Starts an upload; the 201 checked and the pending media with its signed URL returned. */
export async function startUpload(
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
export async function upload(
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
export async function follow(api: MediaApiClient, who: Account, path: string) {
  const location = locationOf(await api.call('GET', path, { token: who.token }));
  const served = await api.storage.fetchSigned(location, { method: 'GET' });
  expect(served.status, `${path} → ${location}: ${served.bytes.toString('utf8').slice(0, 300)}`).toBe(200);
  return { location, served };
}

/** Checks every variant of a ready media as its thumbnail redirect serves it. */
export async function checkVariants(
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
