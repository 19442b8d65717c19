/**
 * Crash and restart on the real emulators: a dev host of this file's own (a second child,
 * next to the shared stack's, against the same emulators) is SIGKILLed while deliveries are
 * in flight and restarted on the same port; Pub/Sub redelivers what it never acknowledged
 * (the emulator retries a failed or cut push after about a second).
 *
 * - QUALITY.md "crash and retry": every upload of a burst reaches `ready`, none is
 *   processed twice (one recorded outcome, one `media.processed` envelope, one set of
 *   variants); the lease (`MEDIA_PROCESSING_LEASE_SECONDS=10`, the least it accepts) lets a
 *   retry take over an upload the dead worker had claimed.
 * - Issue 4: the audit and notification consumers, killed mid-batch and restarted, leave
 *   every event applied once.
 *
 * Nothing here shares a subscription with the shared stack: the child is started without
 * `serveStack` (which would re-point the shared push subscriptions at it); this file creates
 * its own topic for task events, its own bucket with its own notification topic, and push
 * subscriptions on them pointed at its child. Task events are published straight to that
 * topic as the outbox would publish them, so the shared host never sees (or pre-applies)
 * them. Media events still go to `media-events`, read here through a pull subscription.
 *
 * How these tests can fail: audit entries and notifications have ids derived from the
 * envelope, so counting documents alone could never show a second application. What does
 * show it is the child's `event.applied` log line (one per committed unit of work) across
 * both of its lives, and, for uploads, a second `media.processed` envelope (a fresh id per
 * recorded outcome). Besides the redeliveries the kill causes, which are not certain to hit
 * an already-committed unit of work, each test redelivers a few messages deliberately once
 * everything is done. Checked by hand with the checks removed from the code under test
 * (through a loader hook, not committed): without the `processedEvents` read in
 * `consumeMessage` the consumer test fails on envelopes applied twice; without the
 * `processedGeneration` check in `claimGeneration` the upload test fails on two
 * `media.processed` envelopes for one upload.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Firestore } from '@google-cloud/firestore';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import type { EventEnvelope } from '@taskman/shared/domain/event.schema';
import { notificationId, notificationsFor } from '@taskman/shared/notifications/notifications';
import { mediaIdForObject } from '@taskman/shared/stores/media-store';
import { testTask } from '@taskman/shared/testing/messages';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import type { Delivery } from './dev-host.ts';
import { freePorts } from './emulators.ts';
import type { ServeReady } from './serve.ts';
import { eventPath } from './topology.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES = join(REPO_ROOT, '..', 'shared', 'fixtures', 'images');
const DEV_HOST_MODULE = pathToFileURL(fileURLToPath(new URL('./dev-host.ts', import.meta.url))).href;

const projectId = inject('projectId');
const apiUrl = inject('apiUrl');
const pubsubHost = inject('pubsubHost');
process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
const firestore = new Firestore({ projectId });
const pubsub = new PubSub({ projectId, apiEndpoint: pubsubHost, emulatorMode: true });
const storage = new Storage({ apiEndpoint: inject('storageHost'), projectId });

/** Unique per run: names of this file's topics, subscriptions, bucket and ids. */
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const READY_MS = 60_000;

/** Undone in reverse order in afterAll. */
const cleanups: (() => Promise<void>)[] = [];
/** Every child process this file started. */
const allPids: number[] = [];
/** Set when a test fails: the children's logs are then kept. */
let failed = false;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The child: the dev host alone (`startDevHost`, every function of the manifest), no
 * topology, no bucket set-up, no seed, no scheduled ticks. Same IPC handshake as serve.ts.
 */
const CHILD_SCRIPT = `
process.once('disconnect', () => process.exit(0));
const { startDevHost } = await import(${JSON.stringify(DEV_HOST_MODULE)});
const { MANIFEST } = await import('@taskman/functions/manifest');
const { logger } = await import('@taskman/shared/logging/logger');
const env = process.env;
const host = await startDevHost({
  port: Number(env.API_PORT),
  manifest: MANIFEST,
  logger: logger(),
  scheduleTickMs: 0,
  pubsubHost: env.PUBSUB_EMULATOR_HOST,
  projectId: env.GOOGLE_CLOUD_PROJECT,
  buckets: { media: env.MEDIA_BUCKET },
});
process.send({ ready: host.url });
`;

interface ChildHost {
  url: string;
  /** SIGKILLs the current process (if any) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts a process again on the same port; resolves once it serves. */
  start(): Promise<void>;
  /** Every log file of every life, in order. */
  logFiles: string[];
  pids: number[];
}

/** A dev host child of this file's own, on a free port, killable and restartable. */
async function childHost(name: string, extraEnv: Record<string, string>): Promise<ChildHost> {
  const [port] = (await freePorts(1)) as [number];
  const dir = await mkdtemp(join(tmpdir(), `taskman-crash-${name}-`));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_ENV') env[key] = value;
  }
  Object.assign(env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: inject('firestoreHost'),
    PUBSUB_EMULATOR_HOST: pubsubHost,
    FIREBASE_AUTH_EMULATOR_HOST: inject('authHost'),
    STORAGE_EMULATOR_HOST: inject('storageHost'),
    METADATA_SERVER_DETECTION: 'none',
    API_PORT: String(port),
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  let current: ChildProcess | undefined;
  const host: ChildHost = {
    url: `http://127.0.0.1:${port}`,
    logFiles: [],
    pids: [],
    async kill() {
      const child = current;
      current = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
    async start() {
      const logFile = join(dir, `life-${host.logFiles.length + 1}.log`);
      host.logFiles.push(logFile);
      const fd = openSync(logFile, 'w');
      let child: ChildProcess;
      try {
        child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', CHILD_SCRIPT], {
          cwd: REPO_ROOT,
          env,
          stdio: ['ignore', fd, fd, 'ipc'],
        });
      } finally {
        closeSync(fd);
      }
      current = child;
      if (child.pid !== undefined) {
        host.pids.push(child.pid);
        allPids.push(child.pid);
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${name} child not ready in ${READY_MS} ms:\n${tail(logFile)}`));
        }, READY_MS);
        child.on('message', (message: unknown) => {
          if (typeof (message as Partial<ServeReady> | null)?.ready !== 'string') return;
          clearTimeout(timer);
          resolve();
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${name} child exited (${signal ?? code}) before serving:\n${tail(logFile)}`));
        });
      });
    },
  };
  cleanups.push(async () => {
    await host.kill();
    // Kept when a test failed (its logs say why), else removed.
    if (failed) process.stderr.write(`[crash-restart] ${name} child logs kept in ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  });
  return host;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The JSON log lines of every life of `host`. */
function logLines(host: ChildHost): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const file of host.logFiles) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut by SIGKILL.
      }
    }
  }
  return lines;
}

/** A push subscription on `topic` to `fn` of `host`. */
async function pushSubscription(subscription: string, topic: string, fn: string, host: ChildHost) {
  await pubsub.topic(topic).createSubscription(subscription, {
    pushConfig: { pushEndpoint: new URL(eventPath(fn, projectId, topic), host.url).href },
    ackDeadlineSeconds: 10,
    // No retryPolicy: the emulator retries a failed push after 1 s by itself, and with one
    // set it held back the first deliveries for longer than this test may take.
  });
  cleanups.push(async () => {
    await pubsub.subscription(subscription).delete();
  });
}

/** A pull subscription on `topic` whose messages are acknowledged and kept in `into`. */
async function pullInto(topic: string, name: string, into: Message[]): Promise<void> {
  const [subscription] = await pubsub.topic(topic).createSubscription(name, { ackDeadlineSeconds: 10 });
  subscription.on('message', (m: Message) => {
    into.push(m);
    m.ack();
  });
  cleanups.push(async () => {
    subscription.removeAllListeners();
    await subscription.close();
    await subscription.delete();
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** pids still alive among `pids` (as `ps` sees them). */
function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await pubsub.close();
  await firestore.terminate();
  // Every child this file started is gone.
  expect(alive(allPids)).toEqual([]);
}, 60_000);

describe('consumers killed mid-batch and restarted (issue 4)', () => {
  const topic = `crash-task-events-${RUN}`;
  const EVENTS = 60;
  /** Envelopes published again after the restart: they must be found already applied. */
  const REPUBLISHED = 5;
  let host: ChildHost;

  beforeAll(async () => {
    host = await childHost('consumers', {});
    await host.start();
    await pubsub.createTopic(topic);
    cleanups.push(async () => {
      await pubsub.topic(topic).delete();
    });
    await pushSubscription(`crash-audit-${RUN}`, topic, 'auditTaskEvents', host);
    await pushSubscription(`crash-notify-${RUN}`, topic, 'notifyTaskEvents', host);
  }, 90_000);

  it('applies every event exactly once across a SIGKILL', { timeout: 90_000 }, async () => {
    onTestFailed(() => {
      failed = true;
    });
    const owner = `crash-owner-${RUN}`;
    const envelopes: EventEnvelope[] = Array.from({ length: EVENTS }, (_, i) => ({
      id: `crash-${RUN}-${i}`,
      eventType: 'task.created',
      version: 1,
      timestamp: new Date().toISOString(),
      serviceId: 'crash-restart-test',
      correlationId: `crash-${RUN}`,
      actorId: owner,
      data: {
        task: testTask({
          id: `crash-task-${RUN}-${i}`,
          title: `Crash task ${i}`,
          ownerId: owner,
          // Every other task is assigned to someone else: one notification each.
          assigneeId: i % 2 === 0 ? `crash-assignee-${RUN}-${i}` : null,
        }),
      },
    }));
    const publish = (e: EventEnvelope) =>
      pubsub.topic(topic).publishMessage({
        json: e,
        attributes: { eventType: e.eventType, eventId: e.id, correlationId: e.correlationId },
      });
    const applied = () =>
      logLines(host).filter(
        (l) => l.event === 'event.applied' && String(l.eventId).startsWith(`crash-${RUN}-`),
      );

    // Half the events, the kill as soon as a few are applied (the rest of that half in
    // flight or queued), the other half published while the host is down.
    const half = EVENTS / 2;
    for (let i = 0; i < half; i += 5) await Promise.all(envelopes.slice(i, i + 5).map(publish));
    const appliedAtKill = await until('a few events applied', 30_000, async () => {
      const n = applied().length;
      return n >= 6 ? n : undefined;
    });
    await host.kill();
    expect(appliedAtKill).toBeLessThan(half * 2);
    await Promise.all(envelopes.slice(half).map(publish));
    await host.start();

    const audit = firestore.collection('audit');
    const processed = firestore.collection('processedEvents');
    const auditRefs = envelopes.map((e) => audit.doc(e.id));
    const processedRefs = envelopes.flatMap((e) => [
      processed.doc(`auditTaskEvents:${e.id}`),
      processed.doc(`notifyTaskEvents:${e.id}`),
    ]);
    await until('every audit entry and processed record', 60_000, async () => {
      const docs = await firestore.getAll(...auditRefs, ...processedRefs);
      return docs.every((d) => d.exists) ? true : undefined;
    });

    // Redelivery of already applied envelopes (what a crash after commit, before the ack,
    // produces): they must be acknowledged as duplicates, without a second effect.
    const republished = await Promise.all(envelopes.slice(0, REPUBLISHED).map(publish));
    // Handled again (acknowledged by both consumers): found a duplicate, or — were the
    // processedEvents check missing — applied a second time, which the assertion on
    // `event.applied` below catches.
    await until('the republished envelopes to be acknowledged by both consumers', 30_000, async () => {
      const res = await fetch(`${host.url}/_dev/events`);
      const { deliveries } = (await res.json()) as { deliveries: Delivery[] };
      const acked = new Set(
        deliveries.filter((d) => d.status < 300).map((d) => `${d.function}:${d.messageId}`),
      );
      return republished.every(
        (id) => acked.has(`auditTaskEvents:${id}`) && acked.has(`notifyTaskEvents:${id}`),
      )
        ? true
        : undefined;
    });

    // Exactly one audit entry per event, and no other for these tasks.
    const taskIds = new Set(envelopes.map((e) => (e.data.task as { id: string }).id));
    const auditDocs = (await audit.where('correlationId', '==', `crash-${RUN}`).get()).docs;
    expect(auditDocs.length).toBe(EVENTS);
    expect(new Set(auditDocs.map((d) => d.get('entityId') as string))).toEqual(taskIds);
    for (const doc of auditDocs) expect(doc.get('eventId')).toBe(doc.id);

    // The expected notifications, each once, and no others for these tasks.
    const expected = envelopes.flatMap((e) =>
      notificationsFor(e).map((d) => notificationId(e.id, d.userId, d.type)),
    );
    expect(expected.length).toBe(EVENTS / 2);
    const notifications = await firestore.getAll(
      ...expected.map((id) => firestore.collection('notifications').doc(id)),
    );
    expect(notifications.every((d) => d.exists)).toBe(true);
    const assignees = envelopes.flatMap((e) => notificationsFor(e).map((d) => d.userId));
    let forTheseTasks = 0;
    for (let i = 0; i < assignees.length; i += 30) {
      const chunk = assignees.slice(i, i + 30);
      forTheseTasks += (await firestore.collection('notifications').where('userId', 'in', chunk).get()).size;
    }
    expect(forTheseTasks).toBe(expected.length);

    // Applied at most once per consumer and envelope across both lives (a unit of work
    // committed just before the kill may have lost its log line: never two).
    const perKey = new Map<string, number>();
    for (const l of applied()) {
      const key = `${l.consumer}:${l.eventId}`;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const twice = [...perKey].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    // Most were applied by the second life: the kill really interrupted the batch.
    expect(perKey.size).toBeGreaterThan(appliedAtKill);
  });
});

describe('uploads processed by a host killed mid-processing and restarted (QUALITY.md crash and retry)', () => {
  const bucketName = `crash-media-${RUN}`;
  const notifyTopic = `crash-gcs-${RUN}`;
  const eventsSubscription = `crash-media-events-${RUN}`;
  const FILES = [
    '2569067123_aca715a2ee_o.jpg',
    'Channel_digital_image_CMYK_color.jpg',
    'blackbug.png',
    'flowers.jpeg',
    '4.webp',
    'Landscape_1.jpg',
    'Landscape_3.jpg',
    'Landscape_6.jpg',
    'Landscape_8.jpg',
    'Flag_of_the_Netherlands-16bit.png',
  ];
  let host: ChildHost;
  const received: Message[] = [];
  /** Copies of the bucket's finalize notifications, to redeliver a few after the fact. */
  const finalized: Message[] = [];

  beforeAll(async () => {
    host = await childHost('uploads', { MEDIA_BUCKET: bucketName, MEDIA_PROCESSING_LEASE_SECONDS: '10' });
    await host.start();
    const [bucket] = await storage.createBucket(bucketName);
    cleanups.push(async () => {
      await bucket.deleteFiles({ force: true });
      await bucket.delete();
    });
    await pubsub.createTopic(notifyTopic);
    cleanups.push(async () => {
      await pubsub.topic(notifyTopic).delete();
    });
    await bucket.createNotification(`projects/${projectId}/topics/${notifyTopic}`, {
      eventTypes: ['OBJECT_FINALIZE'],
      payloadFormat: 'JSON_API_V1',
    });
    await pushSubscription(`crash-upload-${RUN}`, notifyTopic, 'processUpload', host);
    await pullInto(notifyTopic, `crash-gcs-copy-${RUN}`, finalized);
    await pullInto('media-events', eventsSubscription, received);
  }, 90_000);

  it('takes every upload to ready once across a SIGKILL', { timeout: 90_000 }, async () => {
    onTestFailed(() => {
      failed = true;
    });
    // The owner must exist: processUpload ignores uploads under an unknown user's prefix.
    const email = `crash-${RUN}@example.com`;
    const registered = await fetch(`${apiUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password-123', displayName: 'Crash uploader' }),
    });
    expect(registered.status).toBe(201);
    const uid = ((await registered.json()) as { user: { id: string } }).user.id;

    const bucket = storage.bucket(bucketName);
    const objects = FILES.map((f, i) => ({ file: f, name: `uploads/${uid}/${i}-${f}` }));
    const ids = objects.map((o) => mediaIdForObject(bucketName, o.name));
    const media = firestore.collection('media');
    const statuses = async () => (await firestore.getAll(...ids.map((id) => media.doc(id)))).map((d) => d);
    const upload = (o: { file: string; name: string }) =>
      bucket.file(o.name).save(readFileSync(join(IMAGES, o.file)), { resumable: false });

    // The first half, then the kill as soon as one is claimed (in `processing`) and not all
    // are done; the second half is uploaded while the host is down.
    await Promise.all(objects.slice(0, 5).map(upload));
    const atKill = await until('an upload being processed', 30_000, async () => {
      const docs = await statuses();
      return docs.some((d) => d.get('status') === 'processing') ? docs : undefined;
    });
    await host.kill();
    const readyAtKill = atKill.filter((d) => d.get('status') === 'ready').length;
    expect(readyAtKill).toBeLessThan(objects.length);
    await Promise.all(objects.slice(5).map(upload));
    await host.start();

    await until('every upload ready', 75_000, async () => {
      const docs = await statuses();
      const bad = docs.find((d) => d.get('status') === 'failed');
      if (bad) throw new Error(`media ${bad.id} failed: ${String(bad.get('failureReason'))}`);
      return docs.every((d) => d.get('status') === 'ready') ? true : undefined;
    });
    // An outcome recorded just before the kill may still be in the outbox: the shared
    // stack's relay publishes it; wait for one media.processed per media item.
    const processedOf = () => {
      const byMedia = new Map<string, Set<string>>();
      for (const m of received) {
        if (m.attributes.eventType !== 'media.processed') continue;
        const envelope = JSON.parse(m.data.toString('utf8')) as EventEnvelope;
        const mediaId = String(envelope.data.mediaId);
        if (!ids.includes(mediaId)) continue;
        const set = byMedia.get(mediaId) ?? new Set<string>();
        set.add(envelope.id);
        byMedia.set(mediaId, set);
      }
      return byMedia;
    };
    await until('a media.processed event for every upload', 45_000, async () =>
      processedOf().size === ids.length ? true : undefined,
    );
    // Redeliver the finalize notification of a few uploads already recorded (what a crash
    // after recordOutcome, before the ack, produces): they must be duplicates, without a
    // second outcome.
    const again = objects.slice(0, 3).map((o) => {
      const copy = finalized.find((m) => m.attributes.objectId === o.name);
      if (!copy) throw new Error(`no finalize notification seen for ${o.name}`);
      return copy;
    });
    const redelivered = await Promise.all(
      again.map((m) => pubsub.topic(notifyTopic).publishMessage({ data: m.data, attributes: m.attributes })),
    );
    await until('the redelivered notifications to be acknowledged', 30_000, async () => {
      const res = await fetch(`${host.url}/_dev/events`);
      const { deliveries } = (await res.json()) as { deliveries: Delivery[] };
      const acked = new Set(deliveries.filter((d) => d.status < 300).map((d) => d.messageId));
      return redelivered.every((id) => acked.has(id)) ? true : undefined;
    });
    // A second envelope would come only from a second recorded outcome: give it a moment.
    await sleep(2_000);

    const byMedia = processedOf();
    for (const id of ids) expect(byMedia.get(id)?.size, `media.processed envelopes of ${id}`).toBe(1);
    const docs = await statuses();
    for (const [i, doc] of docs.entries()) {
      const object = objects[i]!;
      expect(doc.get('status')).toBe('ready');
      const [files] = await bucket.getFiles({ prefix: `variants/${doc.id}/` });
      const generation = (await bucket.file(object.name).getMetadata())[0].generation;
      // The outcome is recorded for the one generation uploaded, the lease released.
      expect(String(doc.get('processedGeneration'))).toBe(String(generation));
      expect(doc.get('lease')).toBeNull();
      // One set of variants: what the document lists is exactly what the bucket holds.
      const listed = (doc.get('variantObjects') as { object: string }[]).map((v) => v.object).sort();
      expect(listed.length).toBeGreaterThan(0);
      expect(files.map((f) => f.name).sort()).toEqual(listed);
      expect((doc.get('variants') as unknown[]).length).toBe(listed.length);
    }
    // processUpload logs its outcome once per recorded outcome: never two `ready` per object.
    const outcomes = logLines(host).filter((l) => l.event === 'media.pipeline' && l.outcome === 'ready');
    for (const object of objects) {
      expect(outcomes.filter((l) => l.object === object.name).length).toBeLessThanOrEqual(1);
    }
  });
});
