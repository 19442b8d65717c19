/**
 * Cloud Storage finalize events as Eventarc delivers them to a `cloudEvent` function: a
 * binary-mode CloudEvent (`ce-*` headers) whose JSON body is the object resource. The
 * in-process harness delivers one for every object written under `uploads/`; the media
 * suite redelivers them in both runs to show that a repeat does no second piece of work.
 */
import { randomUUID } from 'node:crypto';

/** The JSON API's object resource, as much of it as the finalize event carries. */
export interface ObjectResource {
  kind: 'storage#object';
  id: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  contentType?: string;
  storageClass: string;
  /** A decimal string, as the JSON API writes it. */
  size: string;
  timeCreated: string;
  updated: string;
  metadata?: Record<string, string>;
}

/** The resource of a stored object, from the facts every blob store knows. */
export function objectResource(object: {
  bucket: string;
  name: string;
  generation: string;
  size: number;
  contentType: string | undefined;
  metadata: Record<string, string>;
  timeCreated: string;
}): ObjectResource {
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: '1',
    ...(object.contentType !== undefined ? { contentType: object.contentType } : {}),
    storageClass: 'STANDARD',
    size: String(object.size),
    timeCreated: object.timeCreated,
    updated: object.timeCreated,
    ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}

/**
 * The HTTP request of one `google.cloud.storage.object.v1.finalized` delivery. A
 * redelivery keeps the event's id; pass the same `id` to send "the same event" again.
 */
export function finalizedEvent(
  object: ObjectResource,
  id: string = randomUUID(),
): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'Content-Type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-subject': `objects/${object.name}`,
      'ce-time': object.updated,
    },
    body: JSON.stringify(object),
  };
}
