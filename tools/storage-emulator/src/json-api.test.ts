/**
 * Buckets, object metadata, listing, deletes, generations and preconditions, driven through
 * the official client exactly as the functions use it.
 */
import type { Bucket, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from './testing.ts';

let t: TestEmulator;
let storage: Storage;

beforeAll(async () => {
  t = await startTestEmulator();
  storage = t.storage;
});
afterAll(() => t.emulator.close());

/**
 * What the client throws, as `{code, reason}`: an ApiError from the JSON API paths, a
 * GaxiosError (status and response body) from the resumable upload path.
 */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: unknown; reason: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      code?: unknown;
      status?: unknown;
      errors?: { reason?: unknown }[];
      response?: { data?: { error?: { errors?: { reason?: unknown }[] } } };
      message: string;
    };
    const reason = e.errors?.[0]?.reason ?? e.response?.data?.error?.errors?.[0]?.reason;
    return { code: e.code ?? e.status, reason, message: e.message };
  }
  throw new Error('expected the call to fail');
}

describe('buckets', () => {
  it('creates, gets, lists, patches and deletes', async () => {
    const [bucket] = await storage.createBucket('bucket-crud', { labels: { team: 'media' } });
    expect(bucket.metadata.name).toBe('bucket-crud');
    const [exists] = await storage.bucket('bucket-crud').exists();
    expect(exists).toBe(true);
    const [metadata] = await storage.bucket('bucket-crud').getMetadata();
    expect(metadata).toMatchObject({ kind: 'storage#bucket', id: 'bucket-crud', labels: { team: 'media' } });
    const [patched] = await storage.bucket('bucket-crud').setMetadata({ labels: { team: 'api' } });
    expect(patched.labels).toEqual({ team: 'api' });
    expect(patched.metageneration).toBe('2');

    await storage.createBucket('bucket-crud-2');
    const [buckets] = await storage.getBuckets({ prefix: 'bucket-crud' });
    expect(buckets.map((b) => b.name)).toEqual(['bucket-crud', 'bucket-crud-2']);

    await storage.bucket('bucket-crud-2').delete();
    expect((await storage.bucket('bucket-crud-2').exists())[0]).toBe(false);
  });

  it('refuses a duplicate (409), a missing bucket (404) and a non-empty delete (409)', async () => {
    await storage.createBucket('bucket-dup');
    expect(await failure(storage.createBucket('bucket-dup'))).toMatchObject({
      code: 409,
      reason: 'conflict',
    });
    expect(await failure(storage.bucket('no-such-bucket').getMetadata())).toMatchObject({
      code: 404,
      reason: 'notFound',
    });
    await storage.bucket('bucket-dup').file('x').save('x');
    expect(await failure(storage.bucket('bucket-dup').delete())).toMatchObject({ code: 409 });
  });
});

describe('objects', () => {
  let bucket: Bucket;
  beforeAll(async () => {
    [bucket] = await storage.createBucket('objects');
  });

  it('gets and patches metadata, bumping metageneration but not generation', async () => {
    const file = bucket.file('docs/a.txt');
    await file.save('hello', {
      contentType: 'text/plain',
      metadata: { metadata: { owner: 'u1', keep: 'yes' } },
    });
    const [before] = await file.getMetadata();
    expect(before).toMatchObject({
      name: 'docs/a.txt',
      bucket: 'objects',
      contentType: 'text/plain',
      size: '5',
      metageneration: '1',
      metadata: { owner: 'u1', keep: 'yes' },
    });
    expect(before.generation).toMatch(/^\d+$/);

    const [after] = await file.setMetadata({
      cacheControl: 'public, max-age=60',
      contentType: 'text/markdown',
      metadata: { owner: 'u2', keep: null, added: 'new' },
    });
    expect(after).toMatchObject({
      cacheControl: 'public, max-age=60',
      contentType: 'text/markdown',
      metageneration: '2',
      generation: before.generation,
      metadata: { owner: 'u2', added: 'new' },
    });
    expect(after.metadata).not.toHaveProperty('keep');
    expect(after.etag).not.toBe(before.etag);
  });

  it('gives every write a new, larger generation', async () => {
    const file = bucket.file('gen.txt');
    const generations: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      await file.save(`v${i}`, { resumable: i % 2 === 0 });
      generations.push(BigInt((await file.getMetadata())[0].generation as string));
    }
    for (let i = 1; i < generations.length; i++) expect(generations[i]! > generations[i - 1]!).toBe(true);
  });

  it('deletes, and answers 404 for what is gone', async () => {
    const file = bucket.file('to-delete.txt');
    await file.save('bye');
    await file.delete();
    expect((await file.exists())[0]).toBe(false);
    expect(await failure(file.delete())).toMatchObject({ code: 404, reason: 'notFound' });
    expect(await failure(file.download())).toMatchObject({ code: 404 });
    await file.delete({ ignoreNotFound: true });
  });

  it('copies, moves and composes', async () => {
    await bucket
      .file('src.txt')
      .save('abc', { metadata: { contentType: 'text/plain', metadata: { k: 'v' } } });
    const [copy] = await bucket.file('src.txt').copy('copy.txt');
    const [copyMeta] = await copy.getMetadata();
    expect(copyMeta).toMatchObject({ contentType: 'text/plain', metadata: { k: 'v' }, size: '3' });
    await bucket.file('copy.txt').move('moved.txt');
    expect((await bucket.file('moved.txt').download())[0].toString()).toBe('abc');
    expect((await bucket.file('copy.txt').exists())[0]).toBe(false);
    await bucket.file('part2.txt').save('def');
    const [composed] = await bucket.combine(['src.txt', 'part2.txt'], 'combined.txt');
    expect((await composed.download())[0].toString()).toBe('abcdef');
  });
});

describe('listing', () => {
  let bucket: Bucket;
  const names = [
    'a.txt',
    'photos/1.jpg',
    'photos/2.jpg',
    'photos/2024/3.jpg',
    'uploads/u1/m1/x.png',
    'z.txt',
  ];

  beforeAll(async () => {
    [bucket] = await storage.createBucket('listing');
    for (const name of names) await bucket.file(name).save(name, { resumable: false });
  });

  it('lists everything in name order', async () => {
    const [files] = await bucket.getFiles();
    expect(files.map((f) => f.name)).toEqual(names);
  });

  it('filters by prefix and rolls up by delimiter', async () => {
    const [files] = await bucket.getFiles({ prefix: 'photos/' });
    expect(files.map((f) => f.name)).toEqual(['photos/1.jpg', 'photos/2.jpg', 'photos/2024/3.jpg']);

    const [top, , topResponse] = await bucket.getFiles({ delimiter: '/', autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(['a.txt', 'z.txt']);
    expect((topResponse as { prefixes?: string[] }).prefixes).toEqual(['photos/', 'uploads/']);

    const [inner, , innerResponse] = await bucket.getFiles({
      prefix: 'photos/',
      delimiter: '/',
      autoPaginate: false,
    });
    expect(inner.map((f) => f.name)).toEqual(['photos/1.jpg', 'photos/2.jpg']);
    expect((innerResponse as { prefixes?: string[] }).prefixes).toEqual(['photos/2024/']);
  });

  it('pages with maxResults and pageToken, counting prefixes as entries', async () => {
    const seen: string[] = [];
    let query: { maxResults: number; pageToken?: string; delimiter?: string; autoPaginate: false } | null = {
      maxResults: 2,
      delimiter: '/',
      autoPaginate: false,
    };
    let pages = 0;
    while (query) {
      const [files, next, response] = await bucket.getFiles(query);
      const prefixes = (response as { prefixes?: string[] }).prefixes ?? [];
      expect(files.length + prefixes.length).toBeLessThanOrEqual(2);
      seen.push(...files.map((f) => f.name), ...prefixes);
      query = next as typeof query;
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(['a.txt', 'photos/', 'uploads/', 'z.txt']);

    const [all] = await bucket.getFiles({ maxResults: 4, autoPaginate: false, versions: false });
    expect(all.map((f) => f.name)).toEqual(names.slice(0, 4));
  });
});

describe('preconditions', () => {
  let bucket: Bucket;
  beforeAll(async () => {
    [bucket] = await storage.createBucket('preconditions');
  });

  it('ifGenerationMatch=0 creates only when absent', async () => {
    const file = bucket.file('once.txt');
    await file.save('first', { preconditionOpts: { ifGenerationMatch: 0 } });
    const error = await failure(
      file.save('second', { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false }),
    );
    expect(error).toMatchObject({ code: 412, reason: 'conditionNotMet' });
    const resumable = await failure(file.save('third', { preconditionOpts: { ifGenerationMatch: 0 } }));
    expect(resumable).toMatchObject({ code: 412, reason: 'conditionNotMet' });
    expect((await file.download())[0].toString()).toBe('first');
  });

  it('checks generation and metageneration on writes, deletes and patches', async () => {
    const file = bucket.file('guarded.txt');
    await file.save('v1');
    const [meta] = await file.getMetadata();
    const generation = Number(meta.generation);
    const stale = generation - 1;

    expect(await failure(file.save('v2', { preconditionOpts: { ifGenerationMatch: stale } }))).toMatchObject({
      code: 412,
    });
    expect(await failure(file.delete({ ifGenerationMatch: stale }))).toMatchObject({ code: 412 });
    expect(await failure(file.delete({ ifGenerationNotMatch: generation }))).toMatchObject({ code: 412 });
    expect(
      await failure(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 7 })),
    ).toMatchObject({
      code: 412,
      reason: 'conditionNotMet',
    });
    await file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 1 });
    await file.save('v2', { preconditionOpts: { ifGenerationMatch: generation } });
    expect((await file.download())[0].toString()).toBe('v2');
    const [now] = await file.getMetadata();
    await file.delete({ ifGenerationMatch: Number(now.generation) });
    expect((await file.exists())[0]).toBe(false);
  });

  it('answers a GCS-shaped 412 body', async () => {
    await bucket.file('shape.txt').save('x');
    const response = await fetch(
      `${t.emulator.url}/storage/v1/b/preconditions/o/shape.txt?ifGenerationMatch=1`,
      {
        method: 'DELETE',
      },
    );
    expect(response.status).toBe(412);
    const body = (await response.json()) as {
      error: { code: number; message: string; errors: { reason: string }[] };
    };
    expect(body.error.code).toBe(412);
    expect(body.error.message).toBe('At least one of the pre-conditions you specified did not hold.');
    expect(body.error.errors[0]!.reason).toBe('conditionNotMet');
    const missing = await fetch(`${t.emulator.url}/storage/v1/b/preconditions/o/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
  });
});
