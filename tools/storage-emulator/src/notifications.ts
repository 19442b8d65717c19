/**
 * Pub/Sub notifications, as Cloud Storage sends them. Each store event that matches a
 * bucket's notification configuration (event types, object name prefix) becomes one message
 * on the configuration's topic, published to the Pub/Sub emulator over REST: attributes
 * `notificationConfig`, `eventType`, `payloadFormat`, `bucketId`, `objectId`,
 * `objectGeneration`, `eventTime` (plus `overwroteGeneration` / `overwrittenByGeneration`
 * and the configuration's custom attributes), data the object resource (`JSON_API_V1`) or
 * nothing (`NONE`). Publishing happens after the write has been answered: a failure is
 * logged and retried with backoff, in order per topic, and never fails or undoes the write.
 */
import { errors } from './errors.ts';
import type { Log } from './log.ts';
import { EVENT_TYPES, type NotificationConfig } from './records.ts';
import { objectResource } from './resources.ts';
import type { Store, StoreEvent } from './store.ts';

const PUBSUB_PREFIX = '//pubsub.googleapis.com/';

export interface PubsubMessage {
  /** Base64. */
  data: string;
  attributes: Record<string, string>;
}

export interface RetryPolicy {
  /** Tries per message, the first included. */
  attempts: number;
  /** Wait before the second try; doubles after each failure. */
  baseDelayMs: number;
}

export interface NotifierOptions {
  store: Store;
  log: Log;
  /** `host:port` of the Pub/Sub emulator; without it notifications are logged and dropped. */
  pubsubEmulatorHost: string | undefined;
  /** The emulator's own URL, for the links inside message data. */
  baseUrl: () => string;
  retry?: RetryPolicy;
}

/** `projects/P/topics/T` from any spelling GCS accepts or returns. */
export function parseTopic(topic: string): { project: string; topic: string } {
  const path = topic.startsWith(PUBSUB_PREFIX) ? topic.slice(PUBSUB_PREFIX.length) : topic;
  const match = path.match(/^projects\/([^/]+)\/topics\/([^/]+)$/);
  if (!match) throw errors.badRequest(`Invalid topic '${topic}': expected projects/PROJECT/topics/TOPIC.`);
  return { project: match[1]!, topic: match[2]! };
}

/** The configuration as GCS stores it, from what a client sent (snake or camel case). */
export function notificationFromJson(body: unknown, projectId: string): Omit<NotificationConfig, 'id'> {
  if (typeof body !== 'object' || body === null) {
    throw errors.badRequest('A notification configuration is required.');
  }
  const b = body as Record<string, unknown>;
  const raw = b.topic;
  if (typeof raw !== 'string') throw errors.badRequest('Required field: topic.', 'required');
  // The Node client leaves `{{projectId}}` in when it has no project id of its own.
  const { project, topic } = parseTopic(raw.replaceAll('{{projectId}}', projectId));
  const eventTypes = b.event_types ?? b.eventTypes ?? [];
  if (
    !Array.isArray(eventTypes) ||
    !eventTypes.every((t) => (EVENT_TYPES as readonly unknown[]).includes(t))
  ) {
    throw errors.badRequest(`Invalid event_types: expected a list of ${EVENT_TYPES.join(', ')}.`);
  }
  const payloadFormat = b.payload_format ?? b.payloadFormat ?? 'JSON_API_V1';
  if (payloadFormat !== 'JSON_API_V1' && payloadFormat !== 'NONE') {
    throw errors.badRequest(`Invalid payload_format '${String(payloadFormat)}': JSON_API_V1 or NONE.`);
  }
  const config: Omit<NotificationConfig, 'id'> = {
    topic: `${PUBSUB_PREFIX}projects/${project}/topics/${topic}`,
    eventTypes: eventTypes as string[],
    payloadFormat,
  };
  const prefix = b.object_name_prefix ?? b.objectNamePrefix;
  if (typeof prefix === 'string' && prefix !== '') config.objectNamePrefix = prefix;
  const custom = b.custom_attributes ?? b.customAttributes;
  if (typeof custom === 'object' && custom !== null) {
    config.customAttributes = Object.fromEntries(Object.entries(custom).map(([k, v]) => [k, String(v)]));
  }
  return config;
}

function matches(config: NotificationConfig, event: StoreEvent): boolean {
  if (config.eventTypes.length > 0 && !config.eventTypes.includes(event.type)) return false;
  return !config.objectNamePrefix || event.object.name.startsWith(config.objectNamePrefix);
}

/** The Pub/Sub message GCS would publish for `event` under `config`. */
export function notificationMessage(
  config: NotificationConfig,
  event: StoreEvent,
  baseUrl: string,
): PubsubMessage {
  const { object } = event;
  const attributes: Record<string, string> = {
    ...config.customAttributes,
    notificationConfig: `projects/_/buckets/${object.bucket}/notificationConfigs/${config.id}`,
    eventType: event.type,
    payloadFormat: config.payloadFormat,
    bucketId: object.bucket,
    objectId: object.name,
    objectGeneration: object.generation,
    eventTime: event.eventTime,
  };
  if (event.overwroteGeneration) attributes.overwroteGeneration = event.overwroteGeneration;
  if (event.overwrittenByGeneration) attributes.overwrittenByGeneration = event.overwrittenByGeneration;
  const data =
    config.payloadFormat === 'JSON_API_V1'
      ? Buffer.from(JSON.stringify(objectResource(object, baseUrl))).toString('base64')
      : '';
  return { data, attributes };
}

/** Unref'd: a retry pending after close() must not keep the process alive. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class Notifier {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly retry: RetryPolicy;
  private closed = false;
  private warnedNoHost = false;

  constructor(private readonly options: NotifierOptions) {
    this.retry = options.retry ?? { attempts: 5, baseDelayMs: 250 };
    options.store.onEvent((event) => this.dispatch(event));
  }

  private dispatch(event: StoreEvent): void {
    const bucket = this.options.store.bucket(event.object.bucket);
    for (const config of bucket.notifications) {
      if (!matches(config, event)) continue;
      const message = notificationMessage(config, event, this.options.baseUrl());
      this.enqueue(config.topic, message);
    }
  }

  private enqueue(topic: string, message: PubsubMessage): void {
    const host = this.options.pubsubEmulatorHost;
    const what = {
      topic,
      eventType: message.attributes.eventType,
      bucket: message.attributes.bucketId,
      object: message.attributes.objectId,
      generation: message.attributes.objectGeneration,
    };
    if (!host) {
      if (!this.warnedNoHost) {
        this.warnedNoHost = true;
        this.options.log.warn(what, 'notification dropped: no Pub/Sub emulator host configured');
      }
      return;
    }
    const { project, topic: topicId } = parseTopic(topic);
    const url = `http://${host}/v1/projects/${project}/topics/${encodeURIComponent(topicId)}:publish`;
    // One chain per topic: messages reach a topic in the order the events happened.
    const previous = this.chains.get(topic) ?? Promise.resolve();
    const next = previous.then(() => this.publish(url, message, what));
    this.chains.set(topic, next);
    next.then(() => {
      if (this.chains.get(topic) === next) this.chains.delete(topic);
    });
  }

  /** Never rejects: a message that cannot be published is logged and dropped. */
  private async publish(url: string, message: PubsubMessage, what: object): Promise<void> {
    let lastError = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (this.closed && attempt > 1) break;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ messages: [message] }),
          signal: AbortSignal.timeout(5_000),
        });
        if (response.ok) {
          await response.body?.cancel();
          this.options.log.debug({ ...what, attempt }, 'notification published');
          return;
        }
        lastError = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < this.retry.attempts) {
        this.options.log.warn(
          { ...what, attempt, error: lastError },
          'notification publish failed; retrying',
        );
        await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
      }
    }
    this.options.log.error({ ...what, error: lastError }, 'notification not published: giving up');
  }

  /** Resolves once every queued message is published or given up on. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Stops retrying and waits (at most `timeoutMs`) for messages in flight. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}
