/**
 * Downloads: whole objects with the client's checksum validation, byte ranges through
 * createReadStream and raw Range headers, the `/download/storage/v1` media link, and the
 * path shape the client uses when pointed here through STORAGE_EMULATOR_HOST.
 */
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestEmulator, type TestEmulator, testBytes } from './testing.ts';

let t: TestEmulator;
const data = testBytes(1_000_003, 11);

beforeAll(async () => {
  t = await startTestEmulator();
  const [bucket] = await t.storage.createBucket('downloads');
  await bucket.file('data.bin').save(data);
  await bucket.file('notes/hello world?.txt').save('hello, world', { contentType: 'text/plain' });
});
afterAll(() => t.emulator.close());

async function readRange(options: { start?: number; end?: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of t.storage.bucket('downloads').file('data.bin').createReadStream(options)) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('downloads', () => {
  it('downloads whole objects, validating crc32c and md5', async () => {
    const file = t.storage.bucket('downloads').file('data.bin');
    expect((await file.download())[0].equals(data)).toBe(true);
    expect((await file.download({ validation: 'md5' }))[0].equals(data)).toBe(true);
    const odd = t.storage.bucket('downloads').file('notes/hello world?.txt');
    expect((await odd.download())[0].toString()).toBe('hello, world');
  });

  it('serves ranges to createReadStream: start-end, start only, end only, and the tail', async () => {
    expect((await readRange({ start: 10, end: 19 })).equals(data.subarray(10, 20))).toBe(true);
    expect((await readRange({ start: 999_990 })).equals(data.subarray(999_990))).toBe(true);
    expect((await readRange({ end: 99 })).equals(data.subarray(0, 100))).toBe(true);
    expect((await readRange({ end: -100 })).equals(data.subarray(-100))).toBe(true);
    // An end past the object is clamped, as GCS does.
    expect((await readRange({ start: 999_000, end: 5_000_000 })).equals(data.subarray(999_000))).toBe(true);
  });

  it('answers Range requests with 206 and Content-Range, and 416 past the end', async () => {
    const url = `${t.emulator.url}/storage/v1/b/downloads/o/data.bin?alt=media`;
    const partial = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 100-199/${data.length}`);
    expect(partial.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await partial.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);

    const beyond = await fetch(url, { headers: { range: `bytes=${data.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${data.length}`);
    await beyond.arrayBuffer();

    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('x-goog-hash')).toMatch(/^crc32c=[A-Za-z0-9+/]{6}==,md5=[A-Za-z0-9+/]{22}==$/);
    await whole.arrayBuffer();
  });

  it('serves the mediaLink (/download/storage/v1/...)', async () => {
    const [metadata] = await t.storage.bucket('downloads').file('notes/hello world?.txt').getMetadata();
    expect(metadata.mediaLink).toContain('/download/storage/v1/b/downloads/o/notes%2Fhello%20world%3F.txt');
    const response = await fetch(metadata.mediaLink as string);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('hello, world');
  });

  it('works with a client configured through STORAGE_EMULATOR_HOST (paths without /storage/v1)', async () => {
    process.env.STORAGE_EMULATOR_HOST = t.emulator.url;
    let storage: Storage;
    try {
      storage = new Storage({ projectId: PROJECT_ID });
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    const before = t.log.lines.length;
    const [bucket] = await storage.createBucket('via-env');
    await bucket.file('a/b.txt').save('resumable');
    await bucket.file('a/c.txt').save('multipart', { resumable: false });
    expect((await bucket.file('a/b.txt').download())[0].toString()).toBe('resumable');
    const [files] = await bucket.getFiles({ prefix: 'a/' });
    expect(files.map((f) => f.name)).toEqual(['a/b.txt', 'a/c.txt']);
    await bucket.file('a/b.txt').delete();
    const paths = t.log.lines.slice(before).map((l) => (l.fields as { path: string }).path);
    expect(paths).toContain('/b');
    expect(paths).toContain('/b/via-env/o/a%2Fb.txt');
  });
});
