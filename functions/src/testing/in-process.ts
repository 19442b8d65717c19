/**
 * Component-test harness: loads function entries in this process on in-memory adapters
 * and sends them real HTTP through functions-framework's own server, so the framework's
 * body parsing and our runtime are exercised exactly as deployed. A small gateway routes
 * `METHOD /v1/path` to the function, as the dev host and API Gateway do, and hands a
 * CloudEvent POSTed to `/_events/<name>` to that event function (Eventarc's part, which the
 * dev host plays by converting Pub/Sub pushes).
 *
 * Storage plays its part too: every object written under `uploads/` of the memory store
 * is announced to the storage-finalize functions (processUpload) as Eventarc would — a
 * binary-mode CloudEvent through functions-framework, retried while the function fails —
 * and the `memory://` signed URLs the API hands out are answered by the memory store.
 * Pub/Sub too: every event the memory publisher gets is delivered, after the publish
 * returns, to each function the manifest subscribes to its topic — a `messagePublished`
 * CloudEvent through functions-framework, retried while the function fails, as a push
 * subscription would.
 * It satisfies the API suites' `MediaApiClient`, so the same suites run here and against
 * the local stack.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createLogger, setLogger } from '@taskman/shared/logging/logger';
import type { BlobInfo } from '@taskman/shared/ports/blob-store';
import { matchPath } from '@taskman/shared/runtime/http-contract';
import { type MemoryDeps, memoryDeps } from '@taskman/shared/testing/memory-deps';
import { seedAdmin } from '@taskman/shared/users/seed-admin';
import { setAppDeps } from '@taskman/shared/wiring/app-deps';
import {
  type Account,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  httpApiClient,
  loginAccount,
  type MediaApiClient,
  type MediaStorage,
} from '../api-tests/client.ts';
import { MANIFEST } from '../manifest.ts';
import { messagePublishedEvent } from './pubsub-events.ts';
import { finalizedEvent, type ObjectResource, objectResource } from './storage-events.ts';

export type { Reply } from '../api-tests/client.ts';

export interface InProcessApi extends MediaApiClient {
  deps: MemoryDeps;
  /** Registers and signs in a member with a unique email. */
  member(name: string): Promise<Account>;
  /** Seeds `admin@example.com` (idempotent) and signs it in. */
  admin(): Promise<Account>;
  /** Resolves once no finalize or Pub/Sub delivery is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Eventarc retries a failed delivery with backoff; a few quick tries stand in for it here. */
const DELIVERY_ATTEMPTS = 6;
const DELIVERY_BACKOFF_MS = 50;
/** The per-address limits of the harness, as the local test stack raises them. */
const TEST_LIMIT_PER_MINUTE = '100000';

let loaded = false;

export async function inProcessApi(): Promise<InProcessApi> {
  process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-taskman';
  process.env.LOG_LEVEL ??= 'silent';
  // The harness stands in for the local stack, whose webhooks may call receivers on loopback.
  process.env.WEBHOOKS_ALLOW_LOOPBACK ??= 'true';
  // As on the local stack, every test request comes from one address: the suites register,
  // sign in and send bad tokens a lot, so the per-address limits are raised unless a test
  // sets its own.
  process.env.RATE_LIMIT_PER_MINUTE ??= TEST_LIMIT_PER_MINUTE;
  process.env.AUTH_FAILURES_PER_MINUTE ??= TEST_LIMIT_PER_MINUTE;
  setLogger(createLogger({ level: 'silent' }));
  const deps = memoryDeps(new Date());
  deps.clock = { now: () => new Date() };
  setAppDeps(deps);
  if (!loaded) {
    for (const spec of MANIFEST)
      await import(/* @vite-ignore */ new URL(`../${spec.entry}.ts`, import.meta.url).href);
    loaded = true;
  }
  const servers = new Map<string, ReturnType<typeof getTestServer>>();
  const serverOf = (name: string) => {
    let server = servers.get(name);
    if (!server) {
      server = getTestServer(name);
      servers.set(name, server);
    }
    return server;
  };
  const http = MANIFEST.filter((s) => s.api);
  const eventFunctions = new Set(MANIFEST.filter((s) => !s.api).map((s) => s.name));
  const gateway = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const event = path.match(/^\/_events\/([^/]+)$/)?.[1];
    if (event !== undefined && req.method === 'POST' && eventFunctions.has(event)) {
      req.url = '/';
      serverOf(event).emit('request', req, res);
      return;
    }
    const spec =
      http.find((s) => s.api!.method === req.method && matchPath(s.api!.path, path)) ??
      http.find((s) => matchPath(s.api!.path, path));
    if (!spec) {
      // No function owns the path: answer as the runtime would, with the error body.
      const requestId = randomUUID();
      const body = JSON.stringify({
        error: { code: 'ROUTE.NOT_FOUND', message: 'No such route.', requestId },
      });
      req.resume();
      res
        .writeHead(404, {
          'Content-Type': 'application/json; charset=utf-8',
          'X-Request-Id': requestId,
        })
        .end(body);
      return;
    }
    // The platform's front end appends the address of whoever connected to it.
    const peer = req.socket.remoteAddress ?? 'unknown';
    const forwarded = req.headers['x-forwarded-for'];
    req.headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${peer}` : peer;
    serverOf(spec.name).emit('request', req, res);
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  const client = httpApiClient(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`);

  const finalizeFunctions = MANIFEST.filter(
    (s) => s.trigger.kind === 'storage' && s.trigger.event === 'finalized',
  ).map((s) => s.name);
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  /** One delivery of the finalize event of `object` to `name`; the status functions-framework answered. */
  const send = async (name: string, object: ObjectResource, id: string): Promise<number> => {
    const { headers, body } = finalizedEvent(object, id);
    return (await client.call('POST', `/_events/${name}`, { headers, raw: body })).status;
  };
  /** Eventarc's part: deliver, and retry a failed delivery with backoff, the event id kept. */
  const announce = (info: BlobInfo) => {
    const created = deps.blobs.createdAt(info.bucket, info.name) ?? new Date().toISOString();
    const object = objectResource({ ...info, timeCreated: created });
    for (const name of finalizeFunctions) {
      const id = randomUUID();
      const run = (async () => {
        await new Promise<void>((r) => setImmediate(r)); // after the write returns, as a notification
        for (let attempt = 0; attempt < DELIVERY_ATTEMPTS && !closing; attempt++) {
          const status = await send(name, object, id).catch(() => 0);
          if (status >= 200 && status < 300) return;
          await new Promise<void>((r) => setTimeout(r, DELIVERY_BACKOFF_MS * 2 ** attempt));
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    }
  };
  const unsubscribe = deps.blobs.onWrite((info) => {
    if (info.name.startsWith('uploads/')) announce(info);
  });

  /** A push subscription's part: deliver each published event to the topic's functions. */
  const subscribers = (topic: string) =>
    MANIFEST.filter((s) => s.trigger.kind === 'pubsub' && s.trigger.topic === topic).map((s) => s.name);
  /** Delivers one message on `topic` to each function subscribed to it, retried while it fails. */
  const deliver = (topic: string, data: unknown, attributes: Record<string, string>) => {
    for (const name of subscribers(topic)) {
      const messageId = randomUUID();
      const run = (async () => {
        await new Promise<void>((r) => setImmediate(r)); // asynchronously, as Pub/Sub pushes
        for (let attempt = 0; attempt < DELIVERY_ATTEMPTS && !closing; attempt++) {
          const { headers, body } = messagePublishedEvent(
            process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-taskman',
            topic,
            data,
            attributes,
            messageId,
          );
          const status = await client
            .call('POST', `/_events/${name}`, { headers, raw: body })
            .then((r) => r.status)
            .catch(() => 0);
          if (status >= 200 && status < 300) return;
          await new Promise<void>((r) => setTimeout(r, DELIVERY_BACKOFF_MS * 2 ** attempt));
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    }
  };
  const unsubscribeEvents = deps.publisher.onPublish((topic, envelope, attributes) =>
    deliver(topic, envelope, attributes),
  );
  // Commands too: each one sent is delivered to its topic's functions, as events are.
  const sendCommand = deps.publisher.send.bind(deps.publisher);
  deps.publisher.send = async (topic, command, attributes = {}) => {
    await sendCommand(topic, command, attributes);
    deliver(topic, structuredClone(command), { ...attributes });
  };
  const idle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };

  const storage: MediaStorage = {
    bucket: async () => deps.media.bucket,
    fetchSigned: async (url, init) => {
      const reply = await deps.blobs.fetchSigned(url, {
        method: init.method,
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body ? { body: init.body } : {}),
      });
      return { status: reply.status, headers: new Headers(reply.headers), bytes: reply.body };
    },
    writeObject: async (name, bytes, contentType) => {
      await deps.blobs.write(deps.media.bucket, name, bytes, { contentType });
    },
    object: async (name) => {
      const info = await deps.blobs.stat(deps.media.bucket, name);
      const created = deps.blobs.createdAt(deps.media.bucket, name);
      return info && created ? objectResource({ ...info, timeCreated: created }) : null;
    },
    list: (prefix) => deps.blobs.list(deps.media.bucket, prefix),
    deliverFinalized: async (object, id) => {
      const statuses = await Promise.all(finalizeFunctions.map((name) => send(name, object, id)));
      return Math.max(...statuses);
    },
    mediaEvents: async (mediaId) => {
      const seen = new Set<string>();
      return deps.publisher.published
        .filter((p) => p.topic === 'media-events' && p.envelope.data.mediaId === mediaId)
        .map((p) => p.envelope)
        .filter((e) => !seen.has(e.id) && seen.add(e.id));
    },
    quietMs: 0,
  };

  return {
    deps,
    storage,
    idle,
    call: client.call,
    member: client.member,
    admin: async () => {
      await seedAdmin({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, displayName: 'Admin' }, deps);
      return loginAccount(client.call, ADMIN_EMAIL, ADMIN_PASSWORD);
    },
    close: async () => {
      unsubscribe();
      unsubscribeEvents();
      closing = true; // no more retries: let what is in flight finish
      await idle();
      client.close();
      await new Promise<void>((r) => gateway.close(() => r()));
    },
  };
}
