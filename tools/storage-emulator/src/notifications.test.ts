/**
 * Object notifications delivered to a real Pub/Sub emulator (started here, in its own
 * process group, and killed with it), checked in GCS's format; and the publisher's retry
 * and give-up behaviour against a Pub/Sub stand-in that fails on purpose.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestEmulator, type TestEmulator } from './testing.ts';

interface Received {
  attributes: Record<string, string>;
  data: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The gcloud Pub/Sub emulator in its own process group (gcloud stays in the group it is
 * started in only as a session leader, hence `detached`), so stopping the group stops its
 * java too. A watchdog shell takes the group down if this process dies without cleaning up
 * (vitest killed), so no emulator outlives the tests.
 */
async function startPubsub(): Promise<{ host: string; stop(): Promise<boolean> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'gcloud',
    ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, `--project=${PROJECT_ID}`],
    { detached: true, stdio: 'ignore', env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' } },
  );
  const pgid = child.pid!;
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -TERM -${pgid}; sleep 3; kill -KILL -${pgid}`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  child.unref();
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** Resolves true once nothing of the group is left. */
  const stop = async () => {
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pgid, s);
      } catch {
        // Already gone.
      }
    };
    signal('SIGTERM');
    for (let i = 0; i < 50 && alive(); i++) await sleep(100);
    signal('SIGKILL');
    for (let i = 0; i < 20 && alive(); i++) await sleep(100);
    try {
      process.kill(-watchdog.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    return !alive();
  };
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
      if ((await response.text()).trim() === 'Ok') return { host, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  await stop();
  throw new Error('the Pub/Sub emulator did not answer within 60 s');
}

async function rest(host: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://${host}/v1/projects/${PROJECT_ID}/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A topic and a pull subscription on it. */
async function topicWithSubscription(host: string, topic: string): Promise<void> {
  await rest(host, 'PUT', `topics/${topic}`);
  await rest(host, 'PUT', `subscriptions/${topic}-sub`, { topic: `projects/${PROJECT_ID}/topics/${topic}` });
}

/** Pulls (and acks) until `count` messages arrived or `waitMs` passed. */
async function pull(host: string, subscription: string, count: number, waitMs = 10_000): Promise<Received[]> {
  const received: Received[] = [];
  const deadline = Date.now() + waitMs;
  while (received.length < count && Date.now() < deadline) {
    const body = (await rest(host, 'POST', `subscriptions/${subscription}:pull`, {
      maxMessages: 100,
      returnImmediately: true,
    })) as { receivedMessages?: { ackId: string; message: Received }[] };
    const messages = body.receivedMessages ?? [];
    if (messages.length > 0) {
      received.push(
        ...messages.map((m) => ({ attributes: m.message.attributes, data: m.message.data ?? '' })),
      );
      await rest(host, 'POST', `subscriptions/${subscription}:acknowledge`, {
        ackIds: messages.map((m) => m.ackId),
      });
    } else {
      await sleep(100);
    }
  }
  return received;
}

/** Whatever arrives within `waitMs` (for "nothing else was published"). */
const stragglers = (host: string, subscription: string, waitMs = 500) =>
  pull(host, subscription, Number.POSITIVE_INFINITY, waitMs);

const payload = (m: Received) =>
  JSON.parse(Buffer.from(m.data, 'base64').toString()) as Record<string, unknown>;

describe('notifications to the Pub/Sub emulator', () => {
  let pubsub: { host: string; stop(): Promise<boolean> };
  let t: TestEmulator;
  let storage: Storage;

  beforeAll(async () => {
    pubsub = await startPubsub();
    await topicWithSubscription(pubsub.host, 'gcs-uploads');
    await topicWithSubscription(pubsub.host, 'gcs-all');
    await topicWithSubscription(pubsub.host, 'gcs-startup');
    t = await startTestEmulator({
      pubsubEmulatorHost: pubsub.host,
      buckets: ['boot'],
      notifications: [{ bucket: 'boot', topic: 'gcs-startup', eventTypes: ['OBJECT_FINALIZE'] }],
    });
    storage = t.storage;
  }, 90_000);

  afterAll(async () => {
    await t?.emulator.close();
    if (pubsub) expect(await pubsub.stop()).toBe(true);
  }, 30_000);

  it('publishes finalize and delete in GCS format, filtered by event type and prefix', async () => {
    const [bucket] = await storage.createBucket('media');
    const [notification, created] = await bucket.createNotification('gcs-uploads', {
      eventTypes: ['OBJECT_FINALIZE', 'OBJECT_DELETE'],
      objectNamePrefix: 'uploads/',
    });
    expect(created).toMatchObject({
      kind: 'storage#notification',
      topic: `//pubsub.googleapis.com/projects/${PROJECT_ID}/topics/gcs-uploads`,
      event_types: ['OBJECT_FINALIZE', 'OBJECT_DELETE'],
      object_name_prefix: 'uploads/',
      payload_format: 'JSON_API_V1',
    });

    const file = bucket.file('uploads/u1/m1/photo.png');
    await file.save('first', { metadata: { metadata: { mediaId: 'm1' } } });
    const [first] = await file.getMetadata();
    await file.save('second');
    const [second] = await file.getMetadata();
    await file.setMetadata({ metadata: { touched: 'yes' } });
    await bucket.file('variants/m1/small.png').save('ignored: outside the prefix');
    await file.delete();

    const messages = await pull(pubsub.host, 'gcs-uploads-sub', 4);
    await t.emulator.notificationsIdle();
    // Not the metadata update (not subscribed), not the variant (outside the prefix).
    expect(await stragglers(pubsub.host, 'gcs-uploads-sub')).toEqual([]);
    const summary = messages.map((m) => `${m.attributes.eventType} ${m.attributes.objectGeneration}`).sort();
    expect(summary).toEqual(
      [
        `OBJECT_FINALIZE ${first.generation}`,
        `OBJECT_FINALIZE ${second.generation}`,
        `OBJECT_DELETE ${first.generation}`,
        `OBJECT_DELETE ${second.generation}`,
      ].sort(),
    );

    const finalize = messages.find(
      (m) => m.attributes.objectGeneration === first.generation && m.data !== '',
    )!;
    expect(finalize.attributes).toEqual({
      notificationConfig: `projects/_/buckets/media/notificationConfigs/${notification.id}`,
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: 'media',
      objectId: 'uploads/u1/m1/photo.png',
      objectGeneration: String(first.generation),
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(payload(finalize)).toMatchObject({
      kind: 'storage#object',
      bucket: 'media',
      name: 'uploads/u1/m1/photo.png',
      generation: String(first.generation),
      size: '5',
      md5Hash: first.md5Hash,
      crc32c: first.crc32c,
      metadata: { mediaId: 'm1' },
    });

    const overwrite = messages.find(
      (m) =>
        m.attributes.eventType === 'OBJECT_FINALIZE' && m.attributes.objectGeneration === second.generation,
    )!;
    expect(overwrite.attributes.overwroteGeneration).toBe(String(first.generation));
    const replaced = messages.find(
      (m) => m.attributes.eventType === 'OBJECT_DELETE' && m.attributes.objectGeneration === first.generation,
    )!;
    expect(replaced.attributes.overwrittenByGeneration).toBe(String(second.generation));
    const deleted = messages.find(
      (m) =>
        m.attributes.eventType === 'OBJECT_DELETE' && m.attributes.objectGeneration === second.generation,
    )!;
    expect(deleted.attributes).not.toHaveProperty('overwrittenByGeneration');
    expect(payload(deleted)).toMatchObject({ name: 'uploads/u1/m1/photo.png', metadata: { touched: 'yes' } });
  });

  it('sends metadata updates, custom attributes and NONE payloads when configured so; lists and deletes configs', async () => {
    const [bucket] = await storage.createBucket('everything');
    const [notification] = await bucket.createNotification('gcs-all', {
      payloadFormat: 'NONE',
      customAttributes: { env: 'local' },
    });
    await bucket.file('doc.txt').save('x');
    await bucket.file('doc.txt').setMetadata({ contentType: 'text/plain' });
    const messages = await pull(pubsub.host, 'gcs-all-sub', 2);
    expect(messages.map((m) => m.attributes.eventType).sort()).toEqual([
      'OBJECT_FINALIZE',
      'OBJECT_METADATA_UPDATE',
    ]);
    for (const m of messages) {
      expect(m.data).toBe('');
      expect(m.attributes).toMatchObject({ payloadFormat: 'NONE', env: 'local', objectId: 'doc.txt' });
    }

    const [configs] = await bucket.getNotifications();
    expect(configs.map((n) => n.id)).toEqual([notification.id]);
    await notification.delete();
    expect((await bucket.getNotifications())[0]).toEqual([]);
    await bucket.file('after.txt').save('x');
    await t.emulator.notificationsIdle();
    expect(await stragglers(pubsub.host, 'gcs-all-sub')).toEqual([]);
  });

  it('honours notifications configured at start-up', async () => {
    await storage.bucket('boot').file('started.txt').save('x');
    const [message] = await pull(pubsub.host, 'gcs-startup-sub', 1);
    expect(message?.attributes).toMatchObject({
      eventType: 'OBJECT_FINALIZE',
      bucketId: 'boot',
      objectId: 'started.txt',
    });
  });
});

describe('publishing failures', () => {
  let stand: Server;
  let requests = 0;
  let failFirst = 0;
  let bodies: { messages: Received[] }[] = [];

  beforeAll(async () => {
    stand = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests++;
        if (requests <= failFirst) {
          res.writeHead(503).end('{"error":{"code":503}}');
          return;
        }
        bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as { messages: Received[] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"messageIds":["1"]}');
      });
    });
    await new Promise<void>((resolve) => stand.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => stand.close(() => resolve())));

  it('retries a failed publish with backoff and delivers it', async () => {
    requests = 0;
    failFirst = 2;
    bodies = [];
    const t = await startTestEmulator({
      pubsubEmulatorHost: `127.0.0.1:${(stand.address() as AddressInfo).port}`,
      publishRetry: { attempts: 4, baseDelayMs: 20 },
      buckets: ['retry'],
      notifications: [{ bucket: 'retry', topic: 'projects/other-project/topics/t1' }],
    });
    try {
      await t.storage.bucket('retry').file('a.txt').save('x');
      await t.emulator.notificationsIdle();
      expect(requests).toBe(3);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.messages[0]!.attributes).toMatchObject({
        eventType: 'OBJECT_FINALIZE',
        objectId: 'a.txt',
      });
      expect(t.log.lines.filter((l) => l.message.includes('retrying'))).toHaveLength(2);
    } finally {
      await t.emulator.close();
    }
  });

  it('gives up after the last try with an error log, and the write still stands', async () => {
    const t = await startTestEmulator({
      pubsubEmulatorHost: `127.0.0.1:${await freePort()}`,
      publishRetry: { attempts: 3, baseDelayMs: 10 },
      buckets: ['nowhere'],
      notifications: [{ bucket: 'nowhere', topic: 'lost' }],
    });
    try {
      await t.storage.bucket('nowhere').file('kept.txt').save('kept');
      await t.emulator.notificationsIdle();
      const errors = t.log.lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toContain('giving up');
      expect(errors[0]!.fields).toMatchObject({
        object: 'kept.txt',
        topic: `//pubsub.googleapis.com/projects/${PROJECT_ID}/topics/lost`,
      });
      expect((await t.storage.bucket('nowhere').file('kept.txt').download())[0].toString()).toBe('kept');
    } finally {
      await t.emulator.close();
    }
  });
});
