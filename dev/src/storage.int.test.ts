/**
 * Cloud Storage in the local stack end to end: bytes land in the media bucket (straight
 * from the official client, or through a signed URL the API hands out), the bucket's
 * notification reaches the dev host through the Pub/Sub emulator, becomes Eventarc's
 * storage CloudEvent, and processUpload renders the variants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { mediaIdForObject } from '@taskman/shared/stores/media-store';
import { describe, expect, inject, it } from 'vitest';
import type { Delivery } from './dev-host.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES = join(REPO_ROOT, '..', 'shared', 'fixtures', 'images');

const apiUrl = inject('apiUrl');
const origin = new URL(apiUrl).origin;
const bucketName = inject('mediaBucket');
const storage = new Storage({ apiEndpoint: inject('storageHost'), projectId: inject('projectId') });
const bucket = storage.bucket(bucketName);

interface Media {
  id: string;
  ownerId: string;
  status: 'pending' | 'processing' | 'ready' | 'failed';
  failureReason: string | null;
  width: number | null;
  height: number | null;
  variants: { name: string; width: number; height: number; contentType: string; size: number }[];
}

async function api(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON fields
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any, text };
}

/** Registers a fresh member through the API. */
async function member(name: string): Promise<{ uid: string; token: string }> {
  const email = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const r = await api('POST', '/auth/register', undefined, {
    email,
    password: 'password-123',
    displayName: name,
  });
  expect(r.status, r.text).toBe(201);
  return { uid: r.json.user.id, token: r.json.idToken };
}

/** Polls `GET /v1/media/{id}` until it is ready (throws early if it fails). */
async function untilReady(id: string, token: string, timeoutMs = 45_000): Promise<Media> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  while (Date.now() < deadline) {
    const r = await api('GET', `/media/${id}`, token);
    if (r.status === 200) {
      const media = r.json as Media;
      if (media.status === 'ready') return media;
      if (media.status === 'failed') throw new Error(`media ${id} failed: ${media.failureReason}`);
      last = media.status;
    } else last = `${r.status} ${r.text.slice(0, 200)}`;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`media ${id} not ready within ${timeoutMs} ms (last: ${last})`);
}

async function deliveries(): Promise<Delivery[]> {
  const res = await fetch(`${origin}/_dev/events`);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
}

/** The variants of a media item actually in the bucket. */
async function variantObjects(id: string) {
  const [files] = await bucket.getFiles({ prefix: `variants/${id}/` });
  return files;
}

describe('storage in the local stack', () => {
  it('reports storage ok in GET /v1/health', async () => {
    const r = await api('GET', '/health');
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({
      status: 'ok',
      checks: expect.objectContaining({ firestore: 'ok', storage: 'ok', pubsub: 'ok' }),
    });
  });

  it('processes an image uploaded straight to the bucket with the official client', async () => {
    const user = await member('direct-uploader');
    const name = `uploads/${user.uid}/Landscape_6.jpg`;
    const bytes = readFileSync(join(IMAGES, 'Landscape_6.jpg'));
    await bucket.file(name).save(bytes, { contentType: 'image/jpeg', resumable: false });

    const id = mediaIdForObject(bucketName, name);
    const media = await untilReady(id, user.token);
    expect(media).toMatchObject({ id, ownerId: user.uid, status: 'ready' });
    // EXIF orientation 6: the stored 450x600 pixels come out upright, landscape.
    expect([media.width, media.height]).toEqual([600, 450]);
    expect(media.variants.map((v) => v.name).sort()).toEqual(['medium', 'small', 'thumb']);

    const listed = await api('GET', '/media?status=ready', user.token);
    expect(listed.status, listed.text).toBe(200);
    expect((listed.json.items as Media[]).map((m) => m.id)).toContain(id);

    const files = await variantObjects(id);
    expect(files.map((f) => f.name).sort()).toEqual(
      media.variants.map((v) => `variants/${id}/${v.name}.jpg`).sort(),
    );
    for (const file of files) {
      const variant = media.variants.find((v) => file.name.endsWith(`/${v.name}.jpg`));
      expect(Number(file.metadata.size)).toBe(variant?.size);
      expect(file.metadata.contentType).toBe('image/jpeg');
      expect(file.metadata.metadata?.['taskman-variant']).toBe('true');
    }

    // Delivered as Eventarc delivers it: one finalized event for the original's generation.
    const delivery = (await deliveries()).find(
      (d) => d.function === 'processUpload' && d.subject === `objects/${name}`,
    );
    expect(delivery).toMatchObject({
      topic: 'gcs-media-bucket',
      type: 'google.cloud.storage.object.v1.finalized',
      status: 204,
    });
  });

  it('accepts a PUT to the signed URL of POST /v1/media/uploads, and the media gets ready', async () => {
    const user = await member('signed-uploader');
    const bytes = readFileSync(join(IMAGES, 'flowers.jpeg'));
    const created = await api('POST', '/media/uploads', user.token, {
      filename: 'flowers.jpeg',
      contentType: 'image/jpeg',
      size: bytes.length,
    });
    expect(created.status, created.text).toBe(201);
    const { media, upload } = created.json as {
      media: Media;
      upload: { url: string; method: string; headers: Record<string, string> };
    };
    expect(media.status).toBe('pending');
    expect(upload.method).toBe('PUT');
    expect(new URL(upload.url).origin).toBe(new URL(inject('storageHost')).origin);

    // What a browser on another origin asks first; the bucket's CORS must allow it.
    const preflight = await fetch(upload.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:5173)$/);

    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    expect(put.status, await put.text()).toBe(200);

    const ready = await untilReady(media.id, user.token);
    expect(ready).toMatchObject({ id: media.id, status: 'ready', width: 1920, height: 1080 });
    const files = await variantObjects(media.id);
    expect(files.length).toBe(ready.variants.length);
    expect(files.length).toBeGreaterThan(0);
  });
});
