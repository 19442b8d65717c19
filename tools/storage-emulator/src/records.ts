/**
 * What the store keeps per bucket, object and notification configuration, and how request
 * metadata becomes those records: the writable object fields GCS accepts on insert and
 * patch, validated once at the edge so the store only sees typed values.
 */
import { errors } from './errors.ts';

/** Object fields a client may set (insert, patch, rewrite). */
export interface ObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  /** Custom metadata; GCS keeps only strings. */
  metadata?: Record<string, string>;
}

export interface ObjectRecord extends ObjectFields {
  bucket: string;
  name: string;
  /** Digits, increasing with every write anywhere in the emulator. */
  generation: string;
  metageneration: number;
  size: number;
  md5Hash: string;
  crc32c: string;
  contentType: string;
  timeCreated: string;
  updated: string;
  /** The bytes, in the blob store. */
  blobId: string;
}

export interface NotificationConfig {
  id: string;
  /** As GCS stores it: `//pubsub.googleapis.com/projects/P/topics/T`. */
  topic: string;
  /** Empty: every event type. */
  eventTypes: string[];
  objectNamePrefix?: string;
  payloadFormat: 'JSON_API_V1' | 'NONE';
  customAttributes?: Record<string, string>;
}

export interface BucketRecord {
  name: string;
  timeCreated: string;
  updated: string;
  metageneration: number;
  /** Settings the emulator does not act on (labels, cors, lifecycle, …), echoed back. */
  settings: Record<string, unknown>;
  notifications: NotificationConfig[];
  nextNotificationId: number;
}

/** Content as measured while the bytes streamed in. */
export interface Content {
  blobId: string;
  size: number;
  md5Hash: string;
  crc32c: string;
}

export const EVENT_TYPES = [
  'OBJECT_FINALIZE',
  'OBJECT_METADATA_UPDATE',
  'OBJECT_DELETE',
  'OBJECT_ARCHIVE',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const STRING_FIELDS = [
  'contentType',
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
  'customTime',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Object metadata as a request states it: values to set and fields to clear (`null`). */
export interface FieldsUpdate {
  set: ObjectFields;
  /** Top-level fields given as `null` (`metadata` among them: drop all custom metadata). */
  clear: (keyof ObjectFields)[];
  /** Custom metadata keys given as `null`. */
  clearMetadata: string[];
}

/** Reads the writable fields of a JSON object resource; everything else in it is ignored. */
export function parseObjectFields(body: unknown): FieldsUpdate {
  const update: FieldsUpdate = { set: {}, clear: [], clearMetadata: [] };
  if (body === undefined || body === null) return update;
  if (!isRecord(body)) throw errors.badRequest('The object metadata must be a JSON object.');
  for (const key of STRING_FIELDS) {
    const value = body[key];
    if (value === undefined) continue;
    if (value === null) update.clear.push(key);
    else if (typeof value === 'string') update.set[key] = value;
    else throw errors.badRequest(`Invalid value for ${key}.`);
  }
  if (update.set.customTime !== undefined && Number.isNaN(Date.parse(update.set.customTime))) {
    throw errors.badRequest('Invalid value for customTime: not an RFC 3339 date-time.');
  }
  const metadata = body.metadata;
  if (metadata === null) update.clear.push('metadata');
  else if (metadata !== undefined) {
    if (!isRecord(metadata)) throw errors.badRequest('Invalid value for metadata: not an object.');
    const map: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (v === null) update.clearMetadata.push(k);
      // GCS keeps custom metadata as strings.
      else map[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    update.set.metadata = map;
  }
  return update;
}

/** Valid bucket names: 3-63 of [a-z0-9-_.], starting and ending with a letter or digit. */
export function checkBucketName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name)) {
    throw errors.badRequest(`Invalid bucket name: '${name}'.`);
  }
}

/** Object names: 1-1024 bytes of UTF-8, not `.` or `..`, no control characters GCS rejects. */
export function checkObjectName(name: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > 1024 || name === '.' || name === '..' || /[\r\n]/.test(name)) {
    throw errors.badRequest(`Invalid object name: '${name.slice(0, 100)}'.`, 'invalid');
  }
}
