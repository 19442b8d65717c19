/**
 * V4 signed URLs made by the official client (`file.getSignedUrl`) with a dev signer's key,
 * used with plain fetch as a browser would: what is signed works, and anything changed —
 * signature, method, path, query, signed headers, host, expiry, signer — is refused.
 */
import { createHash, createSign } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalRequest, type DevSigner, generateDevSigner, parseQuery } from './signing.ts';
import { PROJECT_ID, startTestEmulator, type TestEmulator, testBytes } from './testing.ts';

let t: TestEmulator;
let signer: DevSigner;
let stranger: DevSigner;
let signing: Storage;
let skewMs = 0;

const minutes = (n: number) => Date.now() + n * 60_000;

beforeAll(async () => {
  [signer, stranger] = await Promise.all([
    generateDevSigner({ projectId: PROJECT_ID }),
    generateDevSigner({
      projectId: PROJECT_ID,
      clientEmail: 'stranger@demo-taskman.iam.gserviceaccount.com',
    }),
  ]);
  t = await startTestEmulator({ trustedSigners: [signer.trustedSigner], clock: () => Date.now() + skewMs });
  await t.storage.createBucket('signed');
  signing = new Storage({
    apiEndpoint: t.emulator.url,
    projectId: PROJECT_ID,
    credentials: { client_email: signer.clientEmail, private_key: signer.privateKeyPem },
  });
});
afterAll(() => t.emulator.close());

const file = (name: string, storage = signing) => storage.bucket('signed').file(name);

async function xmlError(response: Response): Promise<{ status: number; code: string | undefined }> {
  const body = await response.text();
  expect(response.headers.get('content-type')).toContain('application/xml');
  return { status: response.status, code: body.match(/<Code>([^<]*)<\/Code>/)?.[1] };
}

describe('signed URLs', () => {
  it('PUT with the signed content type, then GET, like a browser', async () => {
    const data = testBytes(200_000, 21);
    const [putUrl] = await file('uploads/u1/m1/photo.png').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(15),
      contentType: 'image/png',
    });
    expect(putUrl.startsWith(`${t.emulator.url}/signed/uploads/u1/m1/photo.png?`)).toBe(true);
    const put = await fetch(putUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: data });
    expect(put.status).toBe(200);
    expect(put.headers.get('x-goog-generation')).toMatch(/^\d+$/);

    const [metadata] = await file('uploads/u1/m1/photo.png').getMetadata();
    expect(metadata).toMatchObject({ contentType: 'image/png', size: String(data.length) });

    const [getUrl] = await file('uploads/u1/m1/photo.png').getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
    });
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await get.arrayBuffer()).equals(data)).toBe(true);
  });

  it('refuses a changed signature, path, query or method (403 SignatureDoesNotMatch)', async () => {
    await file('target.txt').save('secret');
    const [url] = await file('target.txt').getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
    });
    expect((await fetch(url)).status).toBe(200);

    const signature = new URL(url).searchParams.get('X-Goog-Signature')!;
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    const cases = [
      url.replace(signature, flipped),
      url.replace('/signed/target.txt', '/signed/other.txt'),
      url.replace(/X-Goog-Expires=\d+/, 'X-Goog-Expires=604800'),
      `${url}&response-content-type=text%2Fhtml`,
    ];
    for (const tampered of cases) {
      expect(await xmlError(await fetch(tampered))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    }
    expect(await xmlError(await fetch(url, { method: 'DELETE' }))).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect((await file('target.txt').exists())[0]).toBe(true);
  });

  it('binds the method and the signed content type of a write', async () => {
    const [url] = await file('typed.png').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(15),
      contentType: 'image/png',
    });
    const wrongType = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: 'x',
    });
    expect(await xmlError(wrongType)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const noType = await fetch(url, { method: 'PUT', body: new Uint8Array([1]) });
    expect(await xmlError(noType)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await xmlError(await fetch(url))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((await file('typed.png').exists())[0]).toBe(false);
  });

  it('refuses an expired URL (400 ExpiredToken, as GCS answers)', async () => {
    await file('soon.txt').save('x');
    const [url] = await file('soon.txt').getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
    });
    skewMs = 16 * 60_000;
    try {
      expect(await xmlError(await fetch(url))).toEqual({ status: 400, code: 'ExpiredToken' });
    } finally {
      skewMs = 0;
    }
    expect((await fetch(url)).status).toBe(200);
  });

  it('refuses a signer it does not trust, and unsigned requests (403 AccessDenied)', async () => {
    await file('private.txt').save('x');
    const strangerStorage = new Storage({
      apiEndpoint: t.emulator.url,
      projectId: PROJECT_ID,
      credentials: { client_email: stranger.clientEmail, private_key: stranger.privateKeyPem },
    });
    const [url] = await file('private.txt', strangerStorage).getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
    });
    expect(await xmlError(await fetch(url))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await xmlError(await fetch(`${t.emulator.url}/signed/private.txt`))).toEqual({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('is bound to the host it was signed for; `host` signs for another one', async () => {
    await file('hosted.txt').save('x');
    const [url] = await file('hosted.txt').getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
    });
    const viaLocalhost = url.replace('127.0.0.1', 'localhost');
    expect(await xmlError(await fetch(viaLocalhost))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });

    const [forLocalhost] = await file('hosted.txt').getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: minutes(15),
      host: `http://localhost:${t.emulator.port}`,
    });
    expect(forLocalhost.startsWith(`http://localhost:${t.emulator.port}/signed/hosted.txt?`)).toBe(true);
    expect((await fetch(forLocalhost)).status).toBe(200);
  });

  it('accepts a signature over the host with its port (other signers include it)', async () => {
    await file('by-hand.txt').save('made by hand');
    const host = new URL(t.emulator.url).host;
    const date = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const scope = `${date.slice(0, 8)}/auto/storage/goog4_request`;
    const query =
      `X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=${encodeURIComponent(`${signer.clientEmail}/${scope}`)}` +
      `&X-Goog-Date=${date}&X-Goog-Expires=60&X-Goog-SignedHeaders=host`;
    const canonical = canonicalRequest({
      method: 'GET',
      rawPath: '/signed/by-hand.txt',
      params: parseQuery(query),
      headers: { host },
      signedHeaders: ['host'],
      payload: 'UNSIGNED-PAYLOAD',
    });
    const stringToSign = [
      'GOOG4-RSA-SHA256',
      date,
      scope,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n');
    const signature = createSign('RSA-SHA256').update(stringToSign).sign(signer.privateKeyPem, 'hex');
    const response = await fetch(
      `${t.emulator.url}/signed/by-hand.txt?${query}&X-Goog-Signature=${signature}`,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('made by hand');
  });

  it('signs preconditions as extension headers (x-goog-if-generation-match: 0 → 412 on the second PUT)', async () => {
    const [url] = await file('once.bin').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(15),
      extensionHeaders: { 'x-goog-if-generation-match': '0' },
    });
    const headers = { 'x-goog-if-generation-match': '0' };
    expect((await fetch(url, { method: 'PUT', headers, body: 'first' })).status).toBe(200);
    expect(await xmlError(await fetch(url, { method: 'PUT', headers, body: 'second' }))).toEqual({
      status: 412,
      code: 'PreconditionFailed',
    });
    expect((await file('once.bin').download())[0].toString()).toBe('first');
  });

  it('bounds a write to a signed x-goog-content-length-range (400 EntityTooLarge / EntityTooSmall), body streamed or not', async () => {
    const range = { 'x-goog-content-length-range': '10,100' };
    const [url] = await file('bounded.bin').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(15),
      extensionHeaders: { ...range, 'x-goog-if-generation-match': '0' },
    });
    const headers = { ...range, 'x-goog-if-generation-match': '0' };
    const put = (body: Uint8Array | ReadableStream<Uint8Array>, extra: Record<string, string> = {}) =>
      fetch(url, { method: 'PUT', headers: { ...headers, ...extra }, body, duplex: 'half' } as RequestInit);
    expect(await xmlError(await put(testBytes(101, 1)))).toEqual({ status: 400, code: 'EntityTooLarge' });
    expect(await xmlError(await put(testBytes(9, 1)))).toEqual({ status: 400, code: 'EntityTooSmall' });
    // Without a Content-Length the bytes are counted as they arrive.
    const streamed = (size: number) =>
      new ReadableStream({
        start(controller) {
          for (let at = 0; at < size; at += 40) controller.enqueue(testBytes(Math.min(40, size - at), at));
          controller.close();
        },
      });
    expect(await xmlError(await put(streamed(1_000)))).toEqual({ status: 400, code: 'EntityTooLarge' });
    expect(await xmlError(await put(streamed(5)))).toEqual({ status: 400, code: 'EntityTooSmall' });
    expect((await file('bounded.bin').exists())[0]).toBe(false);
    // The range is signed: another one (or none) is another request.
    expect(
      await xmlError(await put(testBytes(50, 2), { 'x-goog-content-length-range': '0,1000000' })),
    ).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const data = testBytes(100, 3);
    expect((await put(data)).status).toBe(200);
    expect(await xmlError(await put(testBytes(50, 4)))).toEqual({ status: 412, code: 'PreconditionFailed' });
    expect((await file('bounded.bin').download())[0].equals(data)).toBe(true);
  });

  it('bounds a resumable upload opened with x-goog-content-length-range to that range', async () => {
    const range = { 'x-goog-content-length-range': '0,300000' };
    const [url] = await file('bounded-resumable.bin').getSignedUrl({
      version: 'v4',
      action: 'resumable',
      expires: minutes(15),
      extensionHeaders: range,
    });
    const start = await fetch(url, { method: 'POST', headers: { 'x-goog-resumable': 'start', ...range } });
    expect(start.status).toBe(201);
    const data = testBytes(400_000, 23);
    const last = await fetch(start.headers.get('location')!, {
      method: 'PUT',
      headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}` },
      body: data,
    });
    expect(await xmlError(last)).toEqual({ status: 400, code: 'EntityTooLarge' });
    expect((await file('bounded-resumable.bin').exists())[0]).toBe(false);
  });

  it('opens a resumable session with a signed POST and finishes it with unsigned PUTs', async () => {
    const data = testBytes(600_000, 22);
    const [url] = await file('resumable.bin').getSignedUrl({
      version: 'v4',
      action: 'resumable',
      expires: minutes(15),
      contentType: 'application/zip',
    });
    const start = await fetch(url, {
      method: 'POST',
      headers: { 'x-goog-resumable': 'start', 'content-type': 'application/zip' },
    });
    expect(start.status).toBe(201);
    const session = start.headers.get('location')!;
    expect(session).toContain('upload_id=');
    const first = await fetch(session, {
      method: 'PUT',
      headers: { 'content-range': `bytes 0-${512 * 1024 - 1}/*` },
      body: data.subarray(0, 512 * 1024),
    });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${512 * 1024 - 1}`);
    const last = await fetch(session, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${512 * 1024}-${data.length - 1}/${data.length}` },
      body: data.subarray(512 * 1024),
    });
    expect(last.status).toBe(200);
    const [metadata] = await file('resumable.bin').getMetadata();
    expect(metadata).toMatchObject({ contentType: 'application/zip', size: String(data.length) });
    expect((await file('resumable.bin').download())[0].equals(data)).toBe(true);
  });

  it('works the same for a client configured through STORAGE_EMULATOR_HOST', async () => {
    process.env.STORAGE_EMULATOR_HOST = t.emulator.url;
    let viaEnv: Storage;
    try {
      viaEnv = new Storage({
        projectId: PROJECT_ID,
        credentials: { client_email: signer.clientEmail, private_key: signer.privateKeyPem },
      });
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    const [url] = await file('env.txt', viaEnv).getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(5),
      contentType: 'text/plain',
    });
    expect(url.startsWith(`${t.emulator.url}/signed/env.txt?`)).toBe(true);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'via env',
    });
    expect(put.status).toBe(200);
    expect((await file('env.txt').download())[0].toString()).toBe('via env');
  });

  it('takes 100 concurrent signed PUTs: all stored, each its own generation', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `burst/${i}.bin`);
    const urls = await Promise.all(
      names.map(async (name) => {
        const [url] = await file(name).getSignedUrl({ version: 'v4', action: 'write', expires: minutes(5) });
        return url;
      }),
    );
    const responses = await Promise.all(
      urls.map((url, i) => fetch(url, { method: 'PUT', body: testBytes(50_000 + i, 100 + i) })),
    );
    expect(responses.map((r) => r.status)).toEqual(names.map(() => 200));
    const generations = new Set(responses.map((r) => r.headers.get('x-goog-generation')));
    expect(generations.size).toBe(100);
    const [files] = await signing.bucket('signed').getFiles({ prefix: 'burst/' });
    expect(files).toHaveLength(100);
    const [last] = await file('burst/99.bin').download();
    expect(last.equals(testBytes(50_099, 199))).toBe(true);
  });

  it("applies the bucket's CORS rules to browsers on other origins", async () => {
    const [url] = await file('cors.png').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: minutes(5),
      contentType: 'image/png',
    });
    const preflight = () =>
      fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      });
    // No CORS configuration on the bucket: refused, as GCS would.
    expect((await preflight()).status).toBe(403);

    await signing.bucket('signed').setCorsConfiguration([
      {
        origin: ['http://localhost:3000'],
        method: ['PUT', 'GET'],
        responseHeader: ['Content-Type', 'x-goog-generation'],
        maxAgeSeconds: 600,
      },
    ]);
    const allowed = await preflight();
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('PUT, GET');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');

    const put = await fetch(url, {
      method: 'PUT',
      headers: { origin: 'http://localhost:3000', 'content-type': 'image/png' },
      body: 'png',
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(put.headers.get('access-control-expose-headers')).toBe('Content-Type, x-goog-generation');
    const other = await fetch(url, {
      method: 'PUT',
      headers: { origin: 'http://evil.test', 'content-type': 'image/png' },
      body: 'png',
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await signing.bucket('signed').setCorsConfiguration([]);
  });

  it('deletes with a signed DELETE', async () => {
    await file('doomed.txt').save('x');
    const [url] = await file('doomed.txt').getSignedUrl({
      version: 'v4',
      action: 'delete',
      expires: minutes(15),
    });
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
    expect((await file('doomed.txt').exists())[0]).toBe(false);
  });
});
