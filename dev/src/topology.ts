/**
 * The Pub/Sub topology of the local stack, created idempotently in the emulator: every
 * event topic, every topic a function listens to, and one push subscription per event
 * function pointed at the dev host — the wiring Eventarc does in the cloud. Running it again
 * (a restart against a reused emulator, a new API port) brings endpoints up to date.
 *
 * Storage triggers: each bucket a function watches gets a topic (`gcs-<bucket key>-bucket`)
 * that the bucket's notification configuration publishes to (see `storage.ts`), and each
 * such function its own push subscription on it, as each Eventarc trigger has its own: a
 * function that fails is retried alone. The dev host turns those pushes into the storage
 * CloudEvents (see `eventarc.ts`).
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { FunctionSpec } from '@taskman/functions/manifest';
import { TOPICS } from '@taskman/shared/domain/event.schema';
import { GCS_EVENT_TYPE, type GcsEventType } from './eventarc.ts';

export interface PushSubscription {
  name: string;
  topic: string;
  function: string;
  endpoint: string;
  ackDeadlineSeconds: number;
}

/** A bucket's notification configuration, as the storage triggers of the manifest need it. */
export interface StorageNotification {
  /** The manifest's name for the bucket (`media`); the stack maps it to the real bucket. */
  bucket: string;
  topic: string;
  /** Sorted; only the types some function listens to. */
  eventTypes: GcsEventType[];
}

export interface Topology {
  topics: string[];
  subscriptions: PushSubscription[];
  notifications: StorageNotification[];
}

/** The topic a bucket's object notifications go to. */
export function storageTopic(bucketKey: string): string {
  return `gcs-${bucketKey}-bucket`;
}

/** The dev host path that delivers a push for `topic` to the event function `name`. */
export function eventPath(name: string, projectId: string, topic: string): string {
  // functions-framework reads the topic from a `/projects/P/topics/T` path, as pushes
  // through Eventarc carry it; the dev host strips the `/_events/<name>` prefix.
  return `/_events/${encodeURIComponent(name)}/projects/${projectId}/topics/${topic}`;
}

/** What `createTopology` creates, for a manifest and a dev host base URL. */
export function planTopology(
  manifest: readonly FunctionSpec[],
  projectId: string,
  devHostUrl: string,
): Topology {
  const topics = new Set<string>(TOPICS);
  const subscriptions: PushSubscription[] = [];
  const eventTypes = new Map<string, Set<GcsEventType>>();
  for (const spec of manifest) {
    let topic: string;
    if (spec.trigger.kind === 'pubsub') topic = spec.trigger.topic;
    else if (spec.trigger.kind === 'storage') {
      topic = storageTopic(spec.trigger.bucket);
      const types = eventTypes.get(spec.trigger.bucket) ?? new Set();
      types.add(GCS_EVENT_TYPE[spec.trigger.event]);
      eventTypes.set(spec.trigger.bucket, types);
    } else continue;
    topics.add(topic);
    subscriptions.push({
      name: `${spec.name}-push`,
      topic,
      function: spec.name,
      endpoint: new URL(eventPath(spec.name, projectId, topic), devHostUrl).href,
      // An unacknowledged push is redelivered after this; let the function finish first.
      ackDeadlineSeconds: Math.min(600, Math.max(10, spec.timeoutSeconds)),
    });
  }
  const notifications = [...eventTypes]
    .map(([bucket, types]) => ({ bucket, topic: storageTopic(bucket), eventTypes: [...types].sort() }))
    .sort((a, b) => a.bucket.localeCompare(b.bucket));
  return { topics: [...topics].sort(), subscriptions, notifications };
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

async function ensureTopic(pubsub: PubSub, name: string): Promise<void> {
  try {
    await pubsub.createTopic(name);
  } catch (error) {
    if (grpcCode(error) !== ALREADY_EXISTS) throw error;
  }
}

async function ensureSubscription(pubsub: PubSub, projectId: string, sub: PushSubscription): Promise<void> {
  const subscription = pubsub.subscription(sub.name);
  const wantedTopic = `projects/${projectId}/topics/${sub.topic}`;
  let current: { topic?: string | null } | undefined;
  try {
    [current] = await subscription.getMetadata();
  } catch (error) {
    if (grpcCode(error) !== NOT_FOUND) throw error;
  }
  if (current && current.topic !== wantedTopic) {
    // The manifest moved the function to another topic: a subscription cannot follow.
    await subscription.delete();
    current = undefined;
  }
  if (current) {
    await subscription.modifyPushConfig({ pushEndpoint: sub.endpoint });
    return;
  }
  await pubsub.topic(sub.topic).createSubscription(sub.name, {
    pushConfig: { pushEndpoint: sub.endpoint },
    ackDeadlineSeconds: sub.ackDeadlineSeconds,
  });
}

export interface TopologyOptions {
  manifest: readonly FunctionSpec[];
  projectId: string;
  /** `host:port` of the Pub/Sub emulator. */
  pubsubHost: string;
  /** Base URL of the dev host as the emulator reaches it, e.g. `http://127.0.0.1:3000`. */
  devHostUrl: string;
}

/**
 * Creates (or updates) every topic and push subscription of the manifest. The buckets'
 * notification configurations it plans are created by `prepareBuckets` (storage.ts).
 */
export async function createTopology(options: TopologyOptions): Promise<Topology> {
  const plan = planTopology(options.manifest, options.projectId, options.devHostUrl);
  const { PubSub } = await import('@google-cloud/pubsub');
  const pubsub = new PubSub({
    projectId: options.projectId,
    apiEndpoint: options.pubsubHost,
    emulatorMode: true,
  });
  try {
    await Promise.all(plan.topics.map((t) => ensureTopic(pubsub, t)));
    await Promise.all(plan.subscriptions.map((s) => ensureSubscription(pubsub, options.projectId, s)));
  } finally {
    await pubsub.close();
  }
  return plan;
}
