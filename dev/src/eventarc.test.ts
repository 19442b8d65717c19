/** A GCS notification pushed by Pub/Sub, turned into the CloudEvent Eventarc delivers. */
import { describe, expect, it } from 'vitest';
import { EVENT_KIND, GCS_EVENT_TYPE, storageCloudEvent } from './eventarc.ts';

const OBJECT = {
  kind: 'storage#object',
  id: 'demo-taskman-media/uploads/u1/photo one.jpg/1795324539047000',
  selfLink: 'http://127.0.0.1:9199/storage/v1/b/demo-taskman-media/o/uploads%2Fu1%2Fphoto%20one.jpg',
  name: 'uploads/u1/photo one.jpg',
  bucket: 'demo-taskman-media',
  generation: '1795324539047000',
  metageneration: '1',
  contentType: 'image/jpeg',
  storageClass: 'STANDARD',
  size: '48213',
  timeCreated: '2026-11-22T05:15:39.047Z',
  updated: '2026-11-22T05:15:39.047Z',
  metadata: { source: 'test' },
};

/** The push body the Pub/Sub emulator sends for the storage emulator's notification. */
function push(
  attributes: Record<string, string>,
  data: string | undefined = Buffer.from(JSON.stringify(OBJECT)).toString('base64'),
) {
  return {
    subscription: 'projects/demo-taskman/subscriptions/processUpload-push',
    message: {
      ...(data === undefined ? {} : { data }),
      attributes,
      messageId: '42',
      message_id: '42',
      publishTime: '2026-11-22T05:15:39.100Z',
      publish_time: '2026-11-22T05:15:39.100Z',
    },
  };
}

const FINALIZE = {
  notificationConfig: 'projects/_/buckets/demo-taskman-media/notificationConfigs/1',
  eventType: 'OBJECT_FINALIZE',
  payloadFormat: 'JSON_API_V1',
  bucketId: 'demo-taskman-media',
  objectId: 'uploads/u1/photo one.jpg',
  objectGeneration: '1795324539047000',
  eventTime: '2026-11-22T05:15:39.047Z',
};

describe('storageCloudEvent', () => {
  it('makes the binary-mode finalized CloudEvent: exact headers, the object resource as body', () => {
    const converted = storageCloudEvent(push(FINALIZE));
    expect(converted.ok).toBe(true);
    if (!converted.ok) return;
    expect(converted.event.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': '42',
      'ce-source': '//storage.googleapis.com/projects/_/buckets/demo-taskman-media',
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-subject': 'objects/uploads/u1/photo one.jpg',
      'ce-time': '2026-11-22T05:15:39.047Z',
      'ce-bucket': 'demo-taskman-media',
      'content-type': 'application/json',
    });
    // Byte for byte what GCS put in the notification.
    expect(converted.event.body.equals(Buffer.from(JSON.stringify(OBJECT)))).toBe(true);
    expect(JSON.parse(converted.event.body.toString())).toEqual(OBJECT);
    expect(converted.event).toMatchObject({
      kind: 'finalized',
      bucket: 'demo-taskman-media',
      object: 'uploads/u1/photo one.jpg',
      id: '42',
    });
    expect(converted.event.overwrittenByGeneration).toBeUndefined();
  });

  it('maps OBJECT_DELETE to deleted, and keeps an overwrite a delete (reported, not hidden)', () => {
    const converted = storageCloudEvent(
      push({ ...FINALIZE, eventType: 'OBJECT_DELETE', overwrittenByGeneration: '1795324539999000' }),
    );
    expect(converted.ok && converted.event.headers['ce-type']).toBe('google.cloud.storage.object.v1.deleted');
    expect(converted.ok && converted.event.kind).toBe('deleted');
    expect(converted.ok && converted.event.overwrittenByGeneration).toBe('1795324539999000');
    // Nothing of it reaches the function: Eventarc does not carry the Pub/Sub attributes.
    expect(converted.ok && Object.keys(converted.event.headers).some((h) => /overwr/i.test(h))).toBe(false);
  });

  it('names every GCS event type as Eventarc does, both ways', () => {
    expect(EVENT_KIND).toEqual({
      OBJECT_FINALIZE: 'finalized',
      OBJECT_DELETE: 'deleted',
      OBJECT_METADATA_UPDATE: 'metadataUpdated',
      OBJECT_ARCHIVE: 'archived',
    });
    expect(GCS_EVENT_TYPE.finalized).toBe('OBJECT_FINALIZE');
    expect(GCS_EVENT_TYPE.deleted).toBe('OBJECT_DELETE');
    const updated = storageCloudEvent(push({ ...FINALIZE, eventType: 'OBJECT_METADATA_UPDATE' }));
    expect(updated.ok && updated.event.headers['ce-type']).toBe(
      'google.cloud.storage.object.v1.metadataUpdated',
    );
  });

  it('takes the time from the publish time, then the object, when the notification has none', () => {
    const { eventTime: _t, ...noTime } = FINALIZE;
    const converted = storageCloudEvent(push(noTime));
    expect(converted.ok && converted.event.headers['ce-time']).toBe('2026-11-22T05:15:39.100Z');
  });

  it('reads the snake_case message id the emulator also sends', () => {
    const body = push(FINALIZE);
    const { messageId: _id, ...message } = body.message;
    const converted = storageCloudEvent({ ...body, message: { ...message, message_id: 'm-7' } });
    expect(converted.ok && converted.event.headers['ce-id']).toBe('m-7');
  });

  it('refuses what is not a push at all (malformed)', () => {
    expect(storageCloudEvent({})).toEqual({
      ok: false,
      malformed: true,
      reason: 'not a Pub/Sub push body (no message)',
    });
    expect(storageCloudEvent(null)).toMatchObject({ ok: false, malformed: true });
    const { messageId: _a, message_id: _b, ...noId } = push(FINALIZE).message;
    expect(storageCloudEvent({ message: noId })).toMatchObject({ ok: false, malformed: true });
  });

  it('declines, without calling it malformed, a push Eventarc would not deliver', () => {
    expect(storageCloudEvent(push({ eventType: 'task.created' }))).toMatchObject({
      ok: false,
      malformed: false,
      reason: 'not a Cloud Storage notification (eventType task.created)',
    });
    expect(storageCloudEvent(push({ ...FINALIZE, payloadFormat: 'NONE' }, ''))).toMatchObject({
      ok: false,
      malformed: false,
    });
    expect(storageCloudEvent(push(FINALIZE, Buffer.from('not json').toString('base64')))).toMatchObject({
      ok: false,
      malformed: false,
      reason: 'the notification data is not JSON',
    });
  });
});
