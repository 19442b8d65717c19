/**
 * The dev host over real HTTP, with functions registered here instead of the manifest's:
 * routing, the gateway's 404/405/501 bodies, preflights, Pub/Sub pushes turned into
 * CloudEvents by functions-framework, and storage notifications turned into Eventarc's
 * storage CloudEvents.
 */
import { type CloudEvent, cloudEvent, http } from '@google-cloud/functions-framework';
import type { FunctionSpec, Trigger } from '@taskman/functions/manifest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Delivery, type DevHost, startDevHost } from './dev-host.ts';

function fn(name: string, trigger: Trigger): FunctionSpec {
  return { name, entry: `test/${name}`, trigger, memory: '256Mi', timeoutSeconds: 30, secrets: [], env: {} };
}

const MANIFEST: FunctionSpec[] = [
  fn('dhUsersGet', { kind: 'http', method: 'GET', path: '/v1/users/{id}' }),
  fn('dhUsersSetRole', { kind: 'http', method: 'PUT', path: '/v1/users/{id}/role' }),
  fn('dhMediaGet', { kind: 'http', method: 'GET', path: '/v1/media/{id}' }),
  fn('dhMediaDelete', { kind: 'http', method: 'DELETE', path: '/v1/media/{id}' }),
  fn('dhMediaUpload', { kind: 'http', method: 'POST', path: '/v1/media/uploads' }),
  fn('dhNotWritten', { kind: 'http', method: 'GET', path: '/v1/later' }),
  fn('dhOnEvent', { kind: 'pubsub', topic: 'dh-topic' }),
  fn('dhFailing', { kind: 'pubsub', topic: 'dh-topic' }),
  fn('dhOnUpload', { kind: 'storage', event: 'finalized', bucket: 'media' }),
  fn('dhUploadFails', { kind: 'storage', event: 'finalized', bucket: 'media' }),
];

const received: CloudEvent<unknown>[] = [];
const uploads: CloudEvent<unknown>[] = [];

/** Stands in for importing entries: registers what each "entry" would. */
async function loadEntry(spec: FunctionSpec): Promise<boolean> {
  if (spec.name === 'dhNotWritten') return false;
  if (spec.name === 'dhOnEvent') {
    cloudEvent(spec.name, (event: CloudEvent<unknown>) => {
      received.push(event);
    });
  } else if (spec.name === 'dhFailing' || spec.name === 'dhUploadFails') {
    cloudEvent(spec.name, () => {
      throw new Error('retry me');
    });
  } else if (spec.name === 'dhOnUpload') {
    cloudEvent(spec.name, (event: CloudEvent<unknown>) => {
      uploads.push(event);
    });
  } else {
    http(spec.name, (req, res) => {
      res.json({
        function: spec.name,
        method: req.method,
        path: req.path,
        body: req.body ?? null,
        forwardedFor: req.get('x-forwarded-for') ?? null,
      });
    });
  }
  return true;
}

let host: DevHost;

beforeAll(async () => {
  host = await startDevHost({
    port: 0,
    manifest: MANIFEST,
    logger: pino({ level: 'silent' }),
    loadEntry,
    buckets: { media: 'dh-media' },
  });
});

afterAll(async () => {
  await host?.close();
});

async function call(method: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${host.url}${path}`, { method, ...init });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { res, json: isJson ? (JSON.parse(text) as Record<string, unknown>) : null };
}

function pushBody(messageId: string, data: unknown) {
  return JSON.stringify({
    subscription: 'projects/demo-taskman/subscriptions/dhOnEvent-push',
    message: {
      data: Buffer.from(JSON.stringify(data)).toString('base64'),
      attributes: { eventType: 'task.created' },
      messageId,
      publishTime: '2026-01-01T00:00:00.000Z',
    },
  });
}

describe('dev host routing', () => {
  it('hands a request to the function whose template matches, path untouched', async () => {
    const { res, json } = await call('GET', '/v1/users/u%201');
    expect(res.status).toBe(200);
    expect(json).toMatchObject({ function: 'dhUsersGet', method: 'GET', path: '/v1/users/u%201' });
    expect((await call('PUT', '/v1/users/u1/role')).json).toMatchObject({ function: 'dhUsersSetRole' });
    expect((await call('POST', '/v1/media/uploads')).json).toMatchObject({ function: 'dhMediaUpload' });
    expect((await call('DELETE', '/v1/media/m1')).json).toMatchObject({ function: 'dhMediaDelete' });
  });

  it('passes the body and query through', async () => {
    const { json } = await call('PUT', '/v1/users/u1/role?x=1', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'admin' }),
    });
    expect(json).toMatchObject({ function: 'dhUsersSetRole', body: { role: 'admin' } });
  });

  it("appends the caller's address to X-Forwarded-For, as the platform's front end does", async () => {
    expect((await call('GET', '/v1/users/u1')).json).toMatchObject({ forwardedFor: '127.0.0.1' });
    const { json } = await call('GET', '/v1/users/u1', {
      headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
    });
    expect(json).toMatchObject({ forwardedFor: '203.0.113.9, 10.0.0.1, 127.0.0.1' });
  });

  it('answers an unknown path with 404 and the API error body', async () => {
    const { res, json } = await call('GET', '/v1/nothing/here', {
      headers: { 'x-correlation-id': 'corr-1' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    expect(json).toEqual({
      error: { code: 'ROUTE.NOT_FOUND', message: 'No route for GET /v1/nothing/here.', requestId },
    });
  });

  it('answers a known path with a wrong method with 405, Allow and the error body', async () => {
    const { res, json } = await call('PATCH', '/v1/media/m1');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE, OPTIONS');
    expect(json).toEqual({
      error: {
        code: 'ROUTE.METHOD_NOT_ALLOWED',
        message: 'PATCH is not allowed on /v1/media/{id}; use GET, DELETE, OPTIONS.',
        requestId: res.headers.get('x-request-id'),
      },
    });
    expect((await call('GET', '/v1/media/uploads')).res.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('sends a preflight to the function of the requested method', async () => {
    const { json } = await call('OPTIONS', '/v1/media/m1', {
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'DELETE' },
    });
    expect(json).toMatchObject({ function: 'dhMediaDelete', method: 'OPTIONS' });
  });

  it('answers 501 for a manifest function whose entry is not written yet', async () => {
    expect(host.missing).toEqual(['dhNotWritten']);
    const { res, json } = await call('GET', '/v1/later');
    expect(res.status).toBe(501);
    expect(json).toMatchObject({ error: { code: 'ROUTE.NOT_IMPLEMENTED' } });
  });
});

describe('dev host event deliveries', () => {
  it('turns a Pub/Sub push into the messagePublished CloudEvent and records the delivery', async () => {
    const { res } = await call('POST', '/_events/dhOnEvent/projects/demo-taskman/topics/dh-topic', {
      headers: { 'content-type': 'application/json' },
      body: pushBody('m-1', { hello: 'world' }),
    });
    expect(res.status).toBeLessThan(300);
    const event = received.at(-1);
    expect(event).toMatchObject({
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/demo-taskman/topics/dh-topic',
      id: 'm-1',
    });
    type Published = { message: { data: string; attributes: Record<string, string> } };
    const message = (event as CloudEvent<Published>).data!.message;
    expect(JSON.parse(Buffer.from(message.data, 'base64').toString())).toEqual({ hello: 'world' });
    expect(message.attributes).toEqual({ eventType: 'task.created' });

    const { json } = await call('GET', '/_dev/events');
    const deliveries = (json as { deliveries: Delivery[] }).deliveries;
    expect(deliveries.at(-1)).toMatchObject({
      function: 'dhOnEvent',
      topic: 'dh-topic',
      messageId: 'm-1',
      status: res.status,
    });
  });

  it('reports a throwing event function as a failed delivery (so Pub/Sub redelivers)', async () => {
    // functions-framework prints the thrown error; it is expected here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { res } = await call('POST', '/_events/dhFailing/projects/demo-taskman/topics/dh-topic', {
      headers: { 'content-type': 'application/json' },
      body: pushBody('m-2', {}),
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const { json } = await call('GET', '/_dev/events');
    expect((json as { deliveries: Delivery[] }).deliveries.at(-1)).toMatchObject({
      function: 'dhFailing',
      messageId: 'm-2',
      status: res.status,
    });
    quiet.mockRestore();
  });

  it('answers 404 for an unknown event function and 405 for a non-POST', async () => {
    const unknown = await call('POST', '/_events/nobody/projects/p/topics/t', { body: '{}' });
    expect(unknown.res.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'ROUTE.NOT_FOUND' } });
    const get = await call('GET', '/_events/dhOnEvent/projects/p/topics/t');
    expect(get.res.status).toBe(405);
    expect(get.res.headers.get('allow')).toBe('POST');
  });
});

/** A GCS notification as the Pub/Sub emulator pushes it. */
function storagePush(messageId: string, eventType: string, object: Record<string, unknown>) {
  return JSON.stringify({
    subscription: 'projects/demo-taskman/subscriptions/dhOnUpload-push',
    message: {
      data: Buffer.from(JSON.stringify(object)).toString('base64'),
      attributes: {
        notificationConfig: `projects/_/buckets/${object.bucket}/notificationConfigs/1`,
        eventType,
        payloadFormat: 'JSON_API_V1',
        bucketId: String(object.bucket),
        objectId: String(object.name),
        objectGeneration: String(object.generation),
        eventTime: '2026-11-22T05:15:39.047Z',
      },
      messageId,
      publishTime: '2026-11-22T05:15:39.100Z',
    },
  });
}

const OBJECT = {
  kind: 'storage#object',
  name: 'uploads/u1/cat.png',
  bucket: 'dh-media',
  generation: '1795324539047000',
  metageneration: '1',
  contentType: 'image/png',
  size: '1234',
  metadata: { a: 'b' },
};

const STORAGE_PATH = '/_events/dhOnUpload/projects/demo-taskman/topics/gcs-media-bucket';

async function lastDelivery(): Promise<Delivery | undefined> {
  const { json } = await call('GET', '/_dev/events');
  return (json as { deliveries: Delivery[] }).deliveries.at(-1);
}

describe('dev host storage deliveries (Eventarc)', () => {
  it('hands the function the storage CloudEvent Eventarc sends, and records the delivery', async () => {
    const { res } = await call('POST', STORAGE_PATH, {
      headers: { 'content-type': 'application/json' },
      body: storagePush('s-1', 'OBJECT_FINALIZE', OBJECT),
    });
    expect(res.status).toBe(204);
    const event = uploads.at(-1);
    expect(event).toMatchObject({
      specversion: '1.0',
      id: 's-1',
      source: '//storage.googleapis.com/projects/_/buckets/dh-media',
      type: 'google.cloud.storage.object.v1.finalized',
      subject: 'objects/uploads/u1/cat.png',
      time: '2026-11-22T05:15:39.047Z',
      bucket: 'dh-media',
    });
    expect(event?.data).toEqual(OBJECT);
    expect(await lastDelivery()).toMatchObject({
      function: 'dhOnUpload',
      topic: 'gcs-media-bucket',
      messageId: 's-1',
      status: 204,
      type: 'google.cloud.storage.object.v1.finalized',
      subject: 'objects/uploads/u1/cat.png',
    });
  });

  it("answers the push with the function's failure, so Pub/Sub redelivers", async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { res } = await call(
      'POST',
      '/_events/dhUploadFails/projects/demo-taskman/topics/gcs-media-bucket',
      {
        headers: { 'content-type': 'application/json' },
        body: storagePush('s-2', 'OBJECT_FINALIZE', OBJECT),
      },
    );
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await lastDelivery()).toMatchObject({
      function: 'dhUploadFails',
      messageId: 's-2',
      status: res.status,
    });
    quiet.mockRestore();
  });

  it("acknowledges, without calling the function, an event type or bucket that is not the trigger's", async () => {
    const before = uploads.length;
    const deleted = await call('POST', STORAGE_PATH, {
      headers: { 'content-type': 'application/json' },
      body: storagePush('s-3', 'OBJECT_DELETE', OBJECT),
    });
    expect(deleted.res.status).toBe(204);
    expect(await lastDelivery()).toMatchObject({
      messageId: 's-3',
      status: 204,
      type: 'google.cloud.storage.object.v1.deleted',
      skipped: 'deleted events do not trigger dhOnUpload',
    });
    const other = await call('POST', STORAGE_PATH, {
      headers: { 'content-type': 'application/json' },
      body: storagePush('s-4', 'OBJECT_FINALIZE', { ...OBJECT, bucket: 'elsewhere' }),
    });
    expect(other.res.status).toBe(204);
    expect((await lastDelivery())?.skipped).toMatch(/^bucket elsewhere is not the trigger's/);
    expect(uploads.length).toBe(before);
  });

  it('answers 400 to a body that is not a Pub/Sub push', async () => {
    const notJson = await call('POST', STORAGE_PATH, { body: 'nope' });
    expect(notJson.res.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: 'REQUEST.VALIDATION' } });
    const noMessage = await call('POST', STORAGE_PATH, { body: '{}' });
    expect(noMessage.res.status).toBe(400);
  });
});
