/**
 * Eventarc's part for Cloud Storage triggers. In the cloud, Cloud Storage publishes an
 * object notification and Eventarc hands the function a CloudEvent; locally the storage
 * emulator publishes the same notification to the Pub/Sub emulator, whose push
 * subscription reaches the dev host, and `storageCloudEvent` turns the push into the
 * CloudEvent Eventarc would send, in binary content mode:
 *
 * | header | value |
 * |---|---|
 * | `ce-specversion` | `1.0` |
 * | `ce-id` | the Pub/Sub message id |
 * | `ce-source` | `//storage.googleapis.com/projects/_/buckets/<bucket>` |
 * | `ce-type` | `google.cloud.storage.object.v1.<finalized · deleted · metadataUpdated · archived>` |
 * | `ce-subject` | `objects/<object name>` |
 * | `ce-time` | the notification's `eventTime` |
 * | `ce-bucket` | the bucket: the extension attribute Eventarc's storage triggers filter on |
 * | `content-type` | `application/json` |
 *
 * and the body is the object resource (`StorageObjectData`, the JSON API's object), which
 * is exactly the notification's data in the `JSON_API_V1` payload format.
 *
 * Sources: Eventarc's "CloudEvents - JSON event format" page (attributes `id`, `source`,
 * `specversion`, `type`, `time`, `datacontenttype`, data); Cloud Run functions' storage
 * trigger docs (the four `google.cloud.storage.object.v1.*` types and when each fires);
 * Eventarc's `EventFilter` reference (triggers match exact CloudEvents attributes, so
 * `bucket` is one); Google's functions samples, which call a function locally with
 * `ce-source: //storage.googleapis.com/projects/_/buckets/B` and `ce-subject: objects/F`;
 * and functions-framework's own converter, which splits a storage resource into exactly
 * that source and subject.
 *
 * Overwrites: without object versioning, replacing an object makes GCS send OBJECT_FINALIZE
 * for the new generation (attribute `overwroteGeneration`) and OBJECT_DELETE for the
 * replaced one (attribute `overwrittenByGeneration`). Eventarc delivers that delete as a
 * plain `deleted` event (the Pub/Sub attributes do not reach the function), so a `deleted`
 * handler must tell an overwrite from a real delete itself — for example by checking
 * whether a newer generation of the object exists. We stay faithful: the delete is sent,
 * and `overwrittenByGeneration` is only reported here, for the dev host's logs.
 */

/** Eventarc's names for GCS notification event types. */
export const EVENT_KIND = {
  OBJECT_FINALIZE: 'finalized',
  OBJECT_DELETE: 'deleted',
  OBJECT_METADATA_UPDATE: 'metadataUpdated',
  OBJECT_ARCHIVE: 'archived',
} as const;

export type GcsEventType = keyof typeof EVENT_KIND;
export type StorageEventKind = (typeof EVENT_KIND)[GcsEventType];

/** The GCS notification event type that produces each Eventarc event. */
export const GCS_EVENT_TYPE = Object.fromEntries(
  Object.entries(EVENT_KIND).map(([type, kind]) => [kind, type]),
) as Record<StorageEventKind, GcsEventType>;

export interface StorageCloudEvent {
  kind: StorageEventKind;
  bucket: string;
  object: string;
  /** The Pub/Sub message id, also the CloudEvent's id. */
  id: string;
  /** Set when this delete is of a generation that an overwrite replaced. */
  overwrittenByGeneration?: string;
  /** Binary-mode headers, lower case. */
  headers: Record<string, string>;
  /** The object resource, as JSON. */
  body: Buffer;
}

export type StorageConversion =
  | { ok: true; event: StorageCloudEvent }
  /**
   * `malformed`: not a Pub/Sub push at all (no message, no id). Otherwise a push that
   * Eventarc would not deliver (not a storage notification, or no object in its data).
   */
  | { ok: false; malformed: boolean; reason: string };

interface PushBody {
  message?: {
    data?: unknown;
    attributes?: Record<string, unknown>;
    messageId?: unknown;
    message_id?: unknown;
    publishTime?: unknown;
    publish_time?: unknown;
  };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The CloudEvent Eventarc sends for the GCS notification in a Pub/Sub push body. */
export function storageCloudEvent(push: unknown): StorageConversion {
  const message = (push as PushBody | null)?.message;
  if (typeof message !== 'object' || message === null) {
    return { ok: false, malformed: true, reason: 'not a Pub/Sub push body (no message)' };
  }
  const id = text(message.messageId) ?? text(message.message_id);
  if (!id) return { ok: false, malformed: true, reason: 'the pushed message has no messageId' };
  const attributes = message.attributes ?? {};
  const eventType = text(attributes.eventType);
  if (!eventType || !(eventType in EVENT_KIND)) {
    return {
      ok: false,
      malformed: false,
      reason: `not a Cloud Storage notification (eventType ${eventType ?? 'missing'})`,
    };
  }
  const data = text(message.data);
  if (attributes.payloadFormat === 'NONE' || !data) {
    return {
      ok: false,
      malformed: false,
      reason: 'the notification carries no object (payload format NONE): Eventarc needs JSON_API_V1',
    };
  }
  const body = Buffer.from(data, 'base64');
  let object: Record<string, unknown>;
  try {
    object = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, malformed: false, reason: 'the notification data is not JSON' };
  }
  const bucket = text(attributes.bucketId) ?? text(object?.bucket);
  const name = text(attributes.objectId) ?? text(object?.name);
  if (typeof object !== 'object' || object === null || !bucket || !name) {
    return { ok: false, malformed: false, reason: 'the notification data is not an object resource' };
  }
  const kind = EVENT_KIND[eventType as GcsEventType];
  const time =
    text(attributes.eventTime) ??
    text(message.publishTime) ??
    text(message.publish_time) ??
    text(object.updated);
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': `//storage.googleapis.com/projects/_/buckets/${bucket}`,
    'ce-type': `google.cloud.storage.object.v1.${kind}`,
    'ce-subject': `objects/${name}`,
    ...(time ? { 'ce-time': time } : {}),
    'ce-bucket': bucket,
    'content-type': 'application/json',
  };
  const overwrittenBy = text(attributes.overwrittenByGeneration);
  return {
    ok: true,
    event: {
      kind,
      bucket,
      object: name,
      id,
      ...(overwrittenBy ? { overwrittenByGeneration: overwrittenBy } : {}),
      headers,
      body,
    },
  };
}
