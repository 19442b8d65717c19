/**
 * The JSON API resource shapes (`storage#object`, `storage#bucket`, `storage#notification`)
 * rendered from the store's records. Numbers GCS sends as strings (size, generation,
 * metageneration) are strings here too: the client and its users compare them as such.
 * Links use the base URL the request came to, so they work from wherever the client is.
 */
import type { BucketRecord, NotificationConfig, ObjectRecord } from './records.ts';

export type JsonObject = Record<string, unknown>;

const enc = encodeURIComponent;

export function objectResource(o: ObjectRecord, baseUrl: string): JsonObject {
  const path = `b/${enc(o.bucket)}/o/${enc(o.name)}`;
  const resource: JsonObject = {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: etag(o.generation, o.metageneration),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
  };
  if (o.contentEncoding !== undefined) resource.contentEncoding = o.contentEncoding;
  if (o.contentDisposition !== undefined) resource.contentDisposition = o.contentDisposition;
  if (o.contentLanguage !== undefined) resource.contentLanguage = o.contentLanguage;
  if (o.cacheControl !== undefined) resource.cacheControl = o.cacheControl;
  if (o.customTime !== undefined) resource.customTime = o.customTime;
  if (o.metadata !== undefined && Object.keys(o.metadata).length > 0) resource.metadata = o.metadata;
  return resource;
}

export function bucketResource(b: BucketRecord, baseUrl: string, projectNumber: string): JsonObject {
  return {
    location: 'US',
    locationType: 'multi-region',
    storageClass: 'STANDARD',
    ...b.settings,
    kind: 'storage#bucket',
    selfLink: `${baseUrl}/storage/v1/b/${enc(b.name)}`,
    id: b.name,
    name: b.name,
    projectNumber,
    metageneration: String(b.metageneration),
    etag: etag('0', b.metageneration),
    timeCreated: b.timeCreated,
    updated: b.updated,
  };
}

export function notificationResource(n: NotificationConfig, bucket: string, baseUrl: string): JsonObject {
  const resource: JsonObject = {
    kind: 'storage#notification',
    selfLink: `${baseUrl}/storage/v1/b/${enc(bucket)}/notificationConfigs/${n.id}`,
    id: n.id,
    topic: n.topic,
    payload_format: n.payloadFormat,
    etag: n.id,
  };
  if (n.eventTypes.length > 0) resource.event_types = n.eventTypes;
  if (n.objectNamePrefix) resource.object_name_prefix = n.objectNamePrefix;
  if (n.customAttributes) resource.custom_attributes = n.customAttributes;
  return resource;
}

/** Opaque, and changes with every write and metadata update like GCS's. */
function etag(generation: string, metageneration: number): string {
  return Buffer.from(`${generation}/${metageneration}`).toString('base64');
}

/** A stable 12-digit stand-in for the project number GCS reports. */
export function projectNumberOf(projectId: string): string {
  let hash = 0;
  for (const c of projectId) hash = (hash * 31 + c.charCodeAt(0)) % 1e12;
  return String(hash).padStart(12, '1');
}
