/**
 * Runner glue for the integration project: the local stack started by the globalSetup
 * (`dev/src/test-stack.ts`, which declares the injected values), reached over HTTP. For the
 * media suite also its Cloud Storage (the storage emulator, through the official client and
 * plain HTTP for signed URLs), the storage trigger's push endpoint on the dev host, and a
 * pull subscription on `media-events`.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from '@google-cloud/pubsub';
import { planTopology } from '@taskman/dev/topology';
import type { EventEnvelope } from '@taskman/shared/domain/event.schema';
import { afterAll, beforeAll, inject } from 'vitest';
import { MANIFEST } from '../manifest.ts';
import { objectResource } from '../testing/storage-events.ts';
import { type ApiClient, httpApiClient, type MediaApiClient, type MediaStorage } from './client.ts';

/** The stack's origin: `inject('apiUrl')` with or without its trailing `/v1`. */
export function stackOrigin(): string {
  return inject('apiUrl').replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Returns the client factory a suite takes, speaking HTTP to the local stack. */
export function useStackApi(): () => ApiClient {
  const client = httpApiClient(stackOrigin());
  afterAll(() => client.close());
  return () => client;
}

/** `{ code }` of a Google client's error, if it has one. */
function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

/**
 * The storage side of the stack as the media suite needs it. Redelivery goes where the
 * storage trigger's push subscription points (the dev host turns the Pub/Sub push of a GCS
 * notification into the storage CloudEvent): a push body with the same message id is what
 * Pub/Sub sends when it redelivers.
 */
async function stackStorage(
  client: ApiClient,
): Promise<{ storage: MediaStorage; close: () => Promise<void> }> {
  const projectId = inject('projectId');
  const bucketName = inject('mediaBucket');
  process.env.PUBSUB_EMULATOR_HOST = inject('pubsubHost');
  const [{ Storage }, { PubSub }] = await Promise.all([
    import('@google-cloud/storage'),
    import('@google-cloud/pubsub'),
  ]);
  const bucket = new Storage({ apiEndpoint: inject('storageHost'), projectId }).bucket(bucketName);
  const pubsub = new PubSub({ projectId });
  const [subscription] = await pubsub
    .topic('media-events')
    .createSubscription(`api-test-media-events-${randomUUID()}`, { ackDeadlineSeconds: 10 });
  const received = new Map<string, EventEnvelope>();
  subscription.on('message', (m: Message) => {
    m.ack();
    const envelope = JSON.parse(m.data.toString('utf8')) as EventEnvelope;
    received.set(envelope.id, envelope);
  });
  subscription.on('error', () => {});

  const triggers = MANIFEST.filter((s) => s.trigger.kind === 'storage' && s.trigger.event === 'finalized');
  const endpoints = planTopology(MANIFEST, projectId, stackOrigin())
    .subscriptions.filter((s) => triggers.some((t) => t.name === s.function))
    .map((s) => new URL(s.endpoint).pathname);
  if (endpoints.length === 0) throw new Error('no push subscription delivers storage finalize events');

  const storage: MediaStorage = {
    bucket: async () => bucketName,
    fetchSigned: async (url, init) => {
      const res = await fetch(url, {
        method: init.method,
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body ? { body: new Uint8Array(init.body) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    },
    writeObject: async (name, bytes, contentType) => {
      await bucket.file(name).save(bytes, { contentType, resumable: false });
    },
    object: async (name) => {
      try {
        const [meta] = await bucket.file(name).getMetadata();
        return objectResource({
          bucket: String(meta.bucket),
          name: String(meta.name),
          generation: String(meta.generation),
          size: Number(meta.size),
          contentType: meta.contentType,
          metadata: Object.fromEntries(Object.entries(meta.metadata ?? {}).map(([k, v]) => [k, String(v)])),
          timeCreated: String(meta.timeCreated),
        });
      } catch (error) {
        if (codeOf(error) === 404) return null;
        throw error;
      }
    },
    list: async (prefix) => (await bucket.getFiles({ prefix, autoPaginate: true }))[0].map((f) => f.name),
    deliverFinalized: async (object, id) => {
      const push = {
        message: {
          data: Buffer.from(JSON.stringify(object)).toString('base64'),
          attributes: {
            notificationConfig: `projects/_/buckets/${object.bucket}/notificationConfigs/1`,
            eventType: 'OBJECT_FINALIZE',
            payloadFormat: 'JSON_API_V1',
            bucketId: object.bucket,
            objectId: object.name,
            objectGeneration: object.generation,
            eventTime: object.updated,
          },
          messageId: id,
          publishTime: new Date().toISOString(),
        },
        subscription: `projects/${projectId}/subscriptions/api-test-redelivery`,
      };
      const statuses = await Promise.all(
        endpoints.map(async (path) => (await client.call('POST', path, { body: push })).status),
      );
      return Math.max(...statuses);
    },
    mediaEvents: async (mediaId) => [...received.values()].filter((e) => e.data.mediaId === mediaId),
    // Pub/Sub delivers within a second or so on the emulator; a straggler would be a duplicate.
    quietMs: 2_000,
  };
  return {
    storage,
    close: async () => {
      await subscription.close().catch(() => {});
      await subscription.delete().catch(() => {});
      await pubsub.close();
    },
  };
}

/** Returns the client factory the media suite takes: HTTP to the stack, and its storage. */
export function useStackMediaApi(): () => MediaApiClient {
  const client = httpApiClient(stackOrigin());
  let made: { storage: MediaStorage; close: () => Promise<void> } | undefined;
  beforeAll(async () => {
    made = await stackStorage(client);
  });
  afterAll(async () => {
    await made?.close();
    client.close();
  });
  return () => {
    if (!made) throw new Error('the stack storage is not set up yet');
    return { ...client, storage: made.storage };
  };
}
