/**
 * Every way the official client uploads (multipart, single-request and chunked resumable,
 * bucket.upload from disk), the media upload it never sends itself, a resumable upload cut
 * off and resumed, checksums, gzip, and a 25 MiB body.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, crc32cBase64 } from './crc32c.ts';
import { startTestEmulator, type TestEmulator, testBytes } from './testing.ts';
import { UPLOAD_UNIT } from './upload-sessions.ts';

const MiB = 1024 * 1024;
let t: TestEmulator;
let bucket: Bucket;

beforeAll(async () => {
  t = await startTestEmulator();
  [bucket] = await t.storage.createBucket('uploads');
});
afterAll(() => t.emulator.close());

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

/** Requests the emulator logged for one object's upload session(s). */
function uploadPuts(): { status: number }[] {
  return t.log.lines
    .filter((l) => l.level === 'debug')
    .map((l) => l.fields as { method: string; path: string; status: number })
    .filter((f) => f.method === 'PUT' && f.path.startsWith('/upload/'));
}

async function expectStored(name: string, data: Buffer, contentType?: string): Promise<void> {
  const file = bucket.file(name);
  const [metadata] = await file.getMetadata();
  expect(metadata.size).toBe(String(data.length));
  expect(metadata.md5Hash).toBe(md5(data));
  expect(metadata.crc32c).toBe(crc32cBase64(crc32c(data)));
  if (contentType) expect(metadata.contentType).toBe(contentType);
  // download() validates the crc32c itself; md5 as well when asked to.
  const [downloaded] = await file.download({ validation: 'md5' });
  expect(downloaded.equals(data)).toBe(true);
}

describe('uploads through the client', () => {
  it('multipart: save({resumable: false}) and createWriteStream({resumable: false})', async () => {
    const data = testBytes(300_000, 2);
    await bucket.file('multi.bin').save(data, {
      resumable: false,
      contentType: 'application/x-test',
      metadata: { metadata: { origin: 'multipart' } },
    });
    await expectStored('multi.bin', data, 'application/x-test');
    expect((await bucket.file('multi.bin').getMetadata())[0].metadata).toEqual({ origin: 'multipart' });

    await pipeline(
      Readable.from([data]),
      bucket.file('multi-stream.bin').createWriteStream({ resumable: false }),
    );
    await expectStored('multi-stream.bin', data, 'application/octet-stream');
  });

  it('resumable in one request: save() and an empty object', async () => {
    const data = testBytes(1_000_000, 3);
    await bucket.file('photo.jpg').save(data);
    // The client guesses the type from the name and sends it as X-Upload-Content-Type.
    await expectStored('photo.jpg', data, 'image/jpeg');
    await bucket.file('empty.txt').save('');
    await expectStored('empty.txt', Buffer.alloc(0), 'text/plain');
    await bucket.file('empty-multipart').save('', { resumable: false });
    await expectStored('empty-multipart', Buffer.alloc(0));
  });

  it('resumable in chunks: 10.5 MiB in 4 MiB chunks, answered 308, 308, 200', async () => {
    const data = testBytes(10.5 * MiB, 4);
    const before = uploadPuts().length;
    await pipeline(
      Readable.from([data]),
      bucket.file('big/chunked.bin').createWriteStream({ resumable: true, chunkSize: 4 * MiB }),
    );
    expect(
      uploadPuts()
        .slice(before)
        .map((p) => p.status),
    ).toEqual([308, 308, 200]);
    await expectStored('big/chunked.bin', data);
  });

  it('chunks that are not whole 256 KiB units: the rest is re-sent, as against GCS', async () => {
    const data = testBytes(2 * MiB + 1, 5);
    const before = uploadPuts().length;
    await pipeline(
      Readable.from([data]),
      bucket.file('odd-chunks.bin').createWriteStream({ resumable: true, chunkSize: 300 * 1024 }),
    );
    // Each 300 KiB chunk leaves 256 KiB persisted, so the client moves on 256 KiB at a time:
    // 7 incomplete requests and the final one, where ceil(size / 300 KiB) would be 7 in all.
    const statuses = uploadPuts()
      .slice(before)
      .map((p) => p.status);
    expect(statuses).toEqual([308, 308, 308, 308, 308, 308, 308, 200]);
    await expectStored('odd-chunks.bin', data);
  });

  it('bucket.upload() of a file on disk, with a destination and metadata', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'storage-emulator-'));
    try {
      const path = join(dir, 'local.png');
      const data = testBytes(6 * MiB, 6);
      await writeFile(path, data);
      await bucket.upload(path, {
        destination: 'uploads/u1/m1/local.png',
        metadata: { cacheControl: 'no-cache' },
      });
      await expectStored('uploads/u1/m1/local.png', data, 'image/png');
      expect((await bucket.file('uploads/u1/m1/local.png').getMetadata())[0].cacheControl).toBe('no-cache');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('25 MiB in one resumable request, streamed', async () => {
    const data = testBytes(25 * MiB, 7);
    await bucket.file('huge.bin').save(data);
    await expectStored('huge.bin', data);
  });

  it('gzip: stored compressed, served as stored to gzip clients and decompressed to others', async () => {
    const text = Buffer.from('hello hello hello hello hello '.repeat(1000));
    await bucket.file('text.txt').save(text, { gzip: true, contentType: 'text/plain' });
    const [metadata] = await bucket.file('text.txt').getMetadata();
    expect(metadata.contentEncoding).toBe('gzip');
    expect(Number(metadata.size)).toBeLessThan(text.length);
    expect((await bucket.file('text.txt').download())[0].equals(text)).toBe(true);
    const plain = await fetch(`${t.emulator.url}/storage/v1/b/uploads/o/text.txt?alt=media`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('x-goog-stored-content-encoding')).toBe('gzip');
    expect(Buffer.from(await plain.arrayBuffer()).equals(text)).toBe(true);
  });
});

describe('uploads by hand', () => {
  const endpoint = () => `${t.emulator.url}/upload/storage/v1/b/uploads/o`;

  it('uploadType=media stores the body with its Content-Type', async () => {
    const data = testBytes(70_000, 8);
    const response = await fetch(
      `${endpoint()}?uploadType=media&name=${encodeURIComponent('media/one.bin')}`,
      {
        method: 'POST',
        headers: { 'content-type': 'image/webp' },
        body: data,
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      name: 'media/one.bin',
      contentType: 'image/webp',
      size: String(data.length),
      md5Hash: md5(data),
      crc32c: crc32cBase64(crc32c(data)),
    });
    await expectStored('media/one.bin', data, 'image/webp');
  });

  it('refuses a body whose x-goog-hash does not match, storing nothing', async () => {
    const response = await fetch(`${endpoint()}?uploadType=media&name=corrupt.bin`, {
      method: 'POST',
      headers: { 'x-goog-hash': `crc32c=${crc32cBase64(123)}` },
      body: Buffer.from('payload'),
    });
    expect(response.status).toBe(400);
    expect((await bucket.file('corrupt.bin').exists())[0]).toBe(false);
  });

  it('resumes an upload cut off midway: the status query reports whole units, the client finishes it', async () => {
    const data = testBytes(3 * MiB + 777, 9);
    const file = bucket.file('resumed.bin');
    const [uri] = await file.createResumableUpload({ metadata: { contentType: 'video/mp4' } });

    // Send about 1.1 MiB, then fail the body stream: the connection is torn down mid-request.
    const sent = Math.floor(1.1 * MiB);
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= sent) {
          controller.error(new Error('network cut'));
          return;
        }
        const end = Math.min(offset + 64 * 1024, sent);
        controller.enqueue(data.subarray(offset, end));
        offset = end;
      },
    });
    await expect(
      fetch(uri, {
        method: 'PUT',
        headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}` },
        body,
        duplex: 'half',
      } as RequestInit),
    ).rejects.toThrow();

    const status = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
    expect(status.status).toBe(308);
    const range = status.headers.get('range');
    expect(range).toMatch(/^bytes=0-\d+$/);
    const persisted = Number(range!.split('-')[1]) + 1;
    expect(persisted % UPLOAD_UNIT).toBe(0);
    expect(persisted).toBeGreaterThan(0);
    expect(persisted).toBeLessThanOrEqual(sent);

    // The client asks for the offset itself, skips what is persisted and sends the rest.
    await pipeline(Readable.from([data]), file.createWriteStream({ uri, resumable: true }));
    await expectStored('resumed.bin', data, 'video/mp4');

    // A finished session answers status queries with the object.
    const done = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ name: 'resumed.bin', size: String(data.length) });
  });

  it('multipart by hand: metadata part first, media part streamed up to the closing boundary', async () => {
    const media = testBytes(3 * MiB, 12);
    const multipart = (metadata: string, boundary = 'b0undary') =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Type: image/gif\r\n\r\n`),
        media,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    const post = (body: Buffer, query: string) =>
      fetch(`${endpoint()}?uploadType=multipart${query}`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/related; boundary="b0undary"' },
        body,
      });
    const ok = await post(multipart('{"name":"hand/multi.gif","metadata":{"a":"1"}}'), '');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      name: 'hand/multi.gif',
      contentType: 'image/gif',
      metadata: { a: '1' },
    });
    await expectStored('hand/multi.gif', media, 'image/gif');

    // Refusals come after the metadata part, with megabytes still unread: the answer arrives.
    const again = await post(multipart('{"name":"hand/multi.gif"}'), '&ifGenerationMatch=0');
    expect(again.status).toBe(412);
    const broken = await post(multipart('{not json'), '&name=x');
    expect(broken.status).toBe(400);
    const truncated = await post(multipart('{}').subarray(0, MiB), '&name=cut.gif');
    expect(truncated.status).toBe(400);
    expect((await bucket.file('cut.gif').exists())[0]).toBe(false);
  });

  it('refuses an upload to a missing bucket before reading its body', async () => {
    const response = await fetch(
      `${t.emulator.url}/upload/storage/v1/b/no-such-bucket/o?uploadType=media&name=x`,
      { method: 'POST', body: testBytes(5 * MiB, 13) },
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
  });

  it('answers 404 for an unknown session and 499 when a session is cancelled', async () => {
    const unknown = await fetch(`${endpoint()}?uploadType=resumable&upload_id=nope`, { method: 'PUT' });
    expect(unknown.status).toBe(404);
    const [uri] = await bucket.file('cancelled.bin').createResumableUpload();
    expect((await fetch(uri, { method: 'DELETE' })).status).toBe(499);
    expect((await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } })).status).toBe(404);
  });
});
