/**
 * The memory store's stand-ins for Cloud Storage around the API: signed URLs answered as
 * GCS answers V4 ones (method, signed Content-Type and expiry enforced), and the write
 * listeners that play the bucket's finalize notifications.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlobInfo } from '../../ports/blob-store.ts';
import { MemoryBlobStore } from './memory-blob-store.ts';

const BUCKET = 'b';
const bytes = Buffer.from('\xff\xd8\xff\xe0 an image', 'latin1');

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryBlobStore signed URLs', () => {
  it('a PUT URL takes the bytes with the signed Content-Type, and nothing else', async () => {
    const store = new MemoryBlobStore();
    const put = await store.signedUrl(BUCKET, 'uploads/u/m/a b.jpg', {
      method: 'PUT',
      expiresInSeconds: 60,
      contentType: 'image/jpeg',
    });
    expect(put.headers).toEqual({ 'Content-Type': 'image/jpeg' });
    expect((await store.fetchSigned(put.url, { method: 'GET' })).status).toBe(403);
    const wrongType = await store.fetchSigned(put.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/html' },
      body: bytes,
    });
    expect(wrongType.status).toBe(403);
    expect(wrongType.body.toString()).toContain('SignatureDoesNotMatch');
    expect(await store.stat(BUCKET, 'uploads/u/m/a b.jpg')).toBeNull();
    const ok = await store.fetchSigned(put.url, { method: 'PUT', headers: put.headers, body: bytes });
    expect(ok.status).toBe(200);
    expect(await store.read(BUCKET, 'uploads/u/m/a b.jpg', 1_000)).toEqual(bytes);
    expect((await store.stat(BUCKET, 'uploads/u/m/a b.jpg'))?.contentType).toBe('image/jpeg');
  });

  it('a PUT URL bounds the size it was signed for and works once, as GCS answers', async () => {
    const store = new MemoryBlobStore();
    const put = await store.signedUrl(BUCKET, 'uploads/u/m/a.jpg', {
      method: 'PUT',
      expiresInSeconds: 60,
      contentType: 'image/jpeg',
      maxBytes: bytes.length,
      ifGenerationMatch: '0',
    });
    expect(put.headers).toEqual({
      'Content-Type': 'image/jpeg',
      'x-goog-content-length-range': `0,${bytes.length}`,
      'x-goog-if-generation-match': '0',
    });
    const tooLarge = await store.fetchSigned(put.url, {
      method: 'PUT',
      headers: put.headers,
      body: Buffer.concat([bytes, Buffer.from('x')]),
    });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.toString()).toContain('<Code>EntityTooLarge</Code>');
    expect(await store.stat(BUCKET, 'uploads/u/m/a.jpg')).toBeNull();
    // The signed headers are part of the signature: left out or changed, the URL is refused.
    for (const headers of [
      { 'Content-Type': 'image/jpeg' } as Record<string, string>,
      { ...put.headers, 'x-goog-content-length-range': '0,999999999' },
      { ...put.headers, 'x-goog-if-generation-match': '1' },
    ]) {
      const refused = await store.fetchSigned(put.url, { method: 'PUT', headers, body: bytes });
      expect(refused.status).toBe(403);
      expect(refused.body.toString()).toContain('SignatureDoesNotMatch');
    }
    expect(await store.stat(BUCKET, 'uploads/u/m/a.jpg')).toBeNull();
    expect(
      (await store.fetchSigned(put.url, { method: 'PUT', headers: put.headers, body: bytes })).status,
    ).toBe(200);
    const again = await store.fetchSigned(put.url, {
      method: 'PUT',
      headers: put.headers,
      body: Buffer.from('\xff\xd8\xff other', 'latin1'),
    });
    expect(again.status).toBe(412);
    expect(again.body.toString()).toContain('<Code>PreconditionFailed</Code>');
    expect(await store.read(BUCKET, 'uploads/u/m/a.jpg', 1_000)).toEqual(bytes);
  });

  it('a GET URL serves the bytes, with the disposition asked for; 404 once they are gone', async () => {
    const store = new MemoryBlobStore();
    await store.write(BUCKET, 'o', bytes, { contentType: 'image/jpeg' });
    const get = await store.signedUrl(BUCKET, 'o', {
      method: 'GET',
      expiresInSeconds: 60,
      responseDisposition: 'attachment; filename="x.jpg"',
    });
    const served = await store.fetchSigned(get.url, { method: 'GET' });
    expect(served).toMatchObject({
      status: 200,
      headers: { 'content-type': 'image/jpeg', 'content-disposition': 'attachment; filename="x.jpg"' },
    });
    expect(served.body).toEqual(bytes);
    expect((await store.fetchSigned(get.url, { method: 'PUT', body: bytes })).status).toBe(403);
    await store.delete(BUCKET, 'o');
    expect((await store.fetchSigned(get.url, { method: 'GET' })).status).toBe(404);
  });

  it('past its expiry a URL answers 400 ExpiredToken, as GCS does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const store = new MemoryBlobStore();
    const put = await store.signedUrl(BUCKET, 'o', { method: 'PUT', expiresInSeconds: 60 });
    expect(put.expiresAt).toBe('2026-01-01T00:01:00.000Z');
    vi.setSystemTime(new Date('2026-01-01T00:01:00.001Z'));
    const late = await store.fetchSigned(put.url, { method: 'PUT', body: bytes });
    expect(late.status).toBe(400);
    expect(late.body.toString()).toContain('ExpiredToken');
    expect(await store.stat(BUCKET, 'o')).toBeNull();
  });

  it('refuses a URL it did not make', async () => {
    const store = new MemoryBlobStore();
    expect((await store.fetchSigned('http://example.com/b/o', { method: 'GET' })).status).toBe(400);
  });
});

describe('MemoryBlobStore write listeners', () => {
  it('hear every completed write (copies too) until they stop listening; a throwing one fails no write', async () => {
    const store = new MemoryBlobStore();
    const heard: BlobInfo[] = [];
    store.onWrite(() => {
      throw new Error('a listener in trouble');
    });
    const stop = store.onWrite((info) => heard.push(info));
    const written = await store.write(BUCKET, 'uploads/u/a.jpg', bytes, {
      contentType: 'image/jpeg',
      metadata: { k: 'v' },
    });
    await store.copy(BUCKET, 'uploads/u/a.jpg', 'failed/uploads/u/a.jpg');
    stop();
    await store.write(BUCKET, 'uploads/u/b.jpg', bytes, { contentType: 'image/jpeg' });
    expect(heard.map((i) => i.name)).toEqual(['uploads/u/a.jpg', 'failed/uploads/u/a.jpg']);
    expect(heard[0]).toEqual(written);
    expect(store.createdAt(BUCKET, 'uploads/u/a.jpg')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(store.createdAt(BUCKET, 'absent')).toBeNull();
  });

  it('a write that fails (a stream that errors, a generation precondition) is not heard', async () => {
    const store = new MemoryBlobStore();
    const heard: string[] = [];
    store.onWrite((info) => heard.push(info.name));
    await store.write(BUCKET, 'x', bytes, { contentType: 'image/jpeg' });
    await expect(
      store.write(BUCKET, 'x', bytes, { contentType: 'image/jpeg', ifGenerationMatch: '0' }),
    ).rejects.toThrow();
    const { Readable } = await import('node:stream');
    const failing = new Readable({
      read() {
        this.destroy(new Error('cut'));
      },
    });
    await expect(store.write(BUCKET, 'y', failing, { contentType: 'image/jpeg' })).rejects.toThrow('cut');
    expect(heard).toEqual(['x']);
  });
});
