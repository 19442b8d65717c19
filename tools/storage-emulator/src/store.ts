/**
 * The emulator's state: buckets, their live objects and notification configurations, and
 * the rules GCS applies to them — generations, metagenerations, preconditions, what an
 * overwrite or a delete means (listing is in listing.ts). Every change is decided and applied
 * to memory synchronously (so racing requests see one order), then persisted, and reported
 * as a Cloud Storage event (finalize, metadata update, delete) to whoever listens.
 * No versioning: a bucket keeps the live generation of each object only.
 */
import type { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from './blobs.ts';
import { errors } from './errors.ts';
import { type ListOptions, type ListResult, listObjects } from './listing.ts';
import type { Persistence } from './persistence.ts';
import { checkPreconditions, type Preconditions } from './preconditions.ts';
import {
  type BucketRecord,
  type Content,
  checkBucketName,
  checkObjectName,
  type EventType,
  type FieldsUpdate,
  type NotificationConfig,
  type ObjectFields,
  type ObjectRecord,
  STRING_FIELDS,
} from './records.ts';

export interface StoreEvent {
  type: EventType;
  object: ObjectRecord;
  eventTime: string;
  /** On a finalize that replaced a live object: that object's generation. */
  overwroteGeneration?: string;
  /** On the delete of a replaced object: the generation that replaced it. */
  overwrittenByGeneration?: string;
}

interface BucketState {
  record: BucketRecord;
  objects: Map<string, ObjectRecord>;
}

export interface StoreOptions {
  blobs: BlobStore;
  persistence: Persistence;
  /** Milliseconds since the epoch; tests move it. */
  clock: () => number;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export class Store {
  private readonly buckets = new Map<string, BucketState>();
  private readonly listeners: ((event: StoreEvent) => void)[] = [];
  private lastGeneration = 0;

  private constructor(private readonly options: StoreOptions) {}

  /** A store with what `persistence` kept; blobs no record points to are deleted. */
  static async open(options: StoreOptions): Promise<Store> {
    const store = new Store(options);
    const { buckets, objects } = await options.persistence.load();
    for (const record of buckets) store.buckets.set(record.name, { record, objects: new Map() });
    const keep = new Set<string>();
    for (const object of objects) {
      const state = store.buckets.get(object.bucket);
      if (!state) continue;
      state.objects.set(object.name, object);
      keep.add(object.blobId);
      store.lastGeneration = Math.max(store.lastGeneration, Number(object.generation));
    }
    await options.blobs.collectGarbage(keep);
    return store;
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: StoreEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private now(): string {
    return new Date(this.options.clock()).toISOString();
  }

  /** Microseconds since the epoch like GCS's, and strictly increasing even within a microsecond. */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(Math.floor(this.options.clock() * 1000), this.lastGeneration + 1);
    return String(this.lastGeneration);
  }

  // -------------------------------------------------------------------------------------
  // Buckets

  private state(bucket: string): BucketState {
    const state = this.buckets.get(bucket);
    if (!state) throw errors.bucketNotFound(bucket);
    return state;
  }

  bucket(name: string): BucketRecord {
    return this.state(name).record;
  }

  findBucket(name: string): BucketRecord | undefined {
    return this.buckets.get(name)?.record;
  }

  listBuckets(prefix = ''): BucketRecord[] {
    return [...this.buckets.values()]
      .map((s) => s.record)
      .filter((b) => b.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async createBucket(name: string, settings: Record<string, unknown> = {}): Promise<BucketRecord> {
    checkBucketName(name);
    if (this.buckets.has(name)) {
      throw errors.conflict(
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    }
    const now = this.now();
    const record: BucketRecord = {
      name,
      timeCreated: now,
      updated: now,
      metageneration: 1,
      settings: withoutNulls(settings),
      notifications: [],
      nextNotificationId: 1,
    };
    this.buckets.set(name, { record, objects: new Map() });
    await this.options.persistence.saveBucket(record);
    return record;
  }

  async patchBucket(
    name: string,
    patch: Record<string, unknown>,
    ifMetagenerationMatch?: string,
  ): Promise<BucketRecord> {
    const state = this.state(name);
    checkBucketMetageneration(state.record, ifMetagenerationMatch);
    const settings = { ...state.record.settings };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete settings[key];
      else settings[key] = value;
    }
    state.record = {
      ...state.record,
      settings,
      metageneration: state.record.metageneration + 1,
      updated: this.now(),
    };
    await this.options.persistence.saveBucket(state.record);
    return state.record;
  }

  async deleteBucket(name: string, ifMetagenerationMatch?: string): Promise<void> {
    const state = this.state(name);
    checkBucketMetageneration(state.record, ifMetagenerationMatch);
    if (state.objects.size > 0) throw errors.conflict('The bucket you tried to delete is not empty.');
    this.buckets.delete(name);
    await this.options.persistence.removeBucket(name);
  }

  async addNotification(bucket: string, config: Omit<NotificationConfig, 'id'>): Promise<NotificationConfig> {
    const state = this.state(bucket);
    const created: NotificationConfig = { ...config, id: String(state.record.nextNotificationId) };
    state.record = {
      ...state.record,
      notifications: [...state.record.notifications, created],
      nextNotificationId: state.record.nextNotificationId + 1,
    };
    await this.options.persistence.saveBucket(state.record);
    return created;
  }

  notification(bucket: string, id: string): NotificationConfig {
    const found = this.state(bucket).record.notifications.find((n) => n.id === id);
    if (!found) throw errors.notificationNotFound(bucket, id);
    return found;
  }

  async removeNotification(bucket: string, id: string): Promise<void> {
    const state = this.state(bucket);
    this.notification(bucket, id);
    state.record = { ...state.record, notifications: state.record.notifications.filter((n) => n.id !== id) };
    await this.options.persistence.saveBucket(state.record);
  }

  // -------------------------------------------------------------------------------------
  // Objects

  /** The live object, or undefined; throws only for a missing bucket. */
  peek(bucket: string, name: string): ObjectRecord | undefined {
    return this.state(bucket).objects.get(name);
  }

  /** The live object, checked against a requested `generation` and read preconditions. */
  object(bucket: string, name: string, options: { generation?: string; preconditions?: Preconditions } = {}) {
    const current = this.live(bucket, name, options.generation);
    if (options.preconditions) checkPreconditions(current, options.preconditions, 'read');
    return current;
  }

  private live(bucket: string, name: string, generation?: string): ObjectRecord {
    const current = this.state(bucket).objects.get(name);
    if (!current || (generation !== undefined && current.generation !== generation)) {
      throw errors.objectNotFound(bucket, name);
    }
    return current;
  }

  createWriter(): Promise<BlobWriter> {
    return this.options.blobs.createWriter();
  }

  /** Bytes `[start, end)` of an object's content. */
  read(object: ObjectRecord, start = 0, end = object.size): Readable {
    return this.options.blobs.read(object.blobId, start, end);
  }

  /** Frees content that will not become an object (a refused or failed write). */
  discard(content: Content): void {
    this.options.blobs.remove(content.blobId);
  }

  /** Makes `content` the new live generation of `bucket/name`, if the preconditions hold. */
  async insertObject(
    bucket: string,
    name: string,
    content: Content,
    fields: ObjectFields,
    preconditions: Preconditions,
  ): Promise<ObjectRecord> {
    let state: BucketState;
    let current: ObjectRecord | undefined;
    try {
      checkObjectName(name);
      state = this.state(bucket);
      current = state.objects.get(name);
      checkPreconditions(current, preconditions, 'write');
    } catch (error) {
      this.discard(content);
      throw error;
    }
    const now = this.now();
    const record: ObjectRecord = {
      ...pickFields(fields),
      contentType: fields.contentType || DEFAULT_CONTENT_TYPE,
      bucket,
      name,
      generation: this.nextGeneration(),
      metageneration: 1,
      size: content.size,
      md5Hash: content.md5Hash,
      crc32c: content.crc32c,
      timeCreated: now,
      updated: now,
      blobId: content.blobId,
    };
    state.objects.set(name, record);
    this.emitReplacement(record, current, now);
    await this.options.persistence.saveObject(record);
    if (current) this.options.blobs.remove(current.blobId);
    return record;
  }

  /** The finalize of `record` and, in a bucket without versioning, the delete of what it replaced. */
  private emitReplacement(record: ObjectRecord, replaced: ObjectRecord | undefined, eventTime: string): void {
    this.emit({
      type: 'OBJECT_FINALIZE',
      object: record,
      eventTime,
      ...(replaced ? { overwroteGeneration: replaced.generation } : {}),
    });
    if (replaced) {
      this.emit({
        type: 'OBJECT_DELETE',
        object: replaced,
        eventTime,
        overwrittenByGeneration: record.generation,
      });
    }
  }

  /** PATCH (merge) or PUT (`replace`: writable fields not given are cleared) of metadata. */
  async patchObject(
    bucket: string,
    name: string,
    update: FieldsUpdate,
    options: { preconditions: Preconditions; generation?: string; replace?: boolean },
  ): Promise<ObjectRecord> {
    const current = this.live(bucket, name, options.generation);
    checkPreconditions(current, options.preconditions, 'write');
    const next: ObjectRecord = { ...current };
    // The writable view: contentType may be cleared here and defaulted below.
    const fields: ObjectFields = next;
    const cleared = new Set<string>(update.clear);
    if (options.replace) {
      for (const key of [...STRING_FIELDS, 'metadata'] as const)
        if (update.set[key] === undefined) cleared.add(key);
    }
    for (const key of STRING_FIELDS) {
      const value = update.set[key];
      if (value !== undefined) fields[key] = value;
      else if (cleared.has(key)) delete fields[key];
    }
    if (cleared.has('metadata')) delete fields.metadata;
    if (update.set.metadata !== undefined || update.clearMetadata.length > 0) {
      const metadata = { ...(options.replace ? {} : fields.metadata), ...update.set.metadata };
      for (const key of update.clearMetadata) delete metadata[key];
      fields.metadata = metadata;
    }
    next.contentType ||= DEFAULT_CONTENT_TYPE;
    next.metageneration = current.metageneration + 1;
    next.updated = this.now();
    this.state(bucket).objects.set(name, next);
    this.emit({ type: 'OBJECT_METADATA_UPDATE', object: next, eventTime: next.updated });
    await this.options.persistence.saveObject(next);
    return next;
  }

  async deleteObject(
    bucket: string,
    name: string,
    options: { preconditions: Preconditions; generation?: string },
  ): Promise<void> {
    const current = this.live(bucket, name, options.generation);
    checkPreconditions(current, options.preconditions, 'write');
    this.state(bucket).objects.delete(name);
    this.emit({ type: 'OBJECT_DELETE', object: current, eventTime: this.now() });
    await this.options.persistence.removeObject(bucket, name);
    this.options.blobs.remove(current.blobId);
  }

  /** Atomic rename within a bucket (`moveTo`): the content is kept, the destination gets a new generation. */
  async moveObject(
    bucket: string,
    source: string,
    destination: string,
    options: { sourcePreconditions: Preconditions; preconditions: Preconditions },
  ): Promise<ObjectRecord> {
    checkObjectName(destination);
    const from = this.live(bucket, source);
    checkPreconditions(from, options.sourcePreconditions, 'write');
    const state = this.state(bucket);
    const replaced = state.objects.get(destination);
    checkPreconditions(replaced, options.preconditions, 'write');
    const now = this.now();
    const record: ObjectRecord = {
      ...from,
      name: destination,
      generation: this.nextGeneration(),
      metageneration: 1,
      timeCreated: now,
      updated: now,
    };
    state.objects.delete(source);
    state.objects.set(destination, record);
    this.emitReplacement(record, replaced, now);
    this.emit({ type: 'OBJECT_DELETE', object: from, eventTime: now });
    await this.options.persistence.saveObject(record);
    await this.options.persistence.removeObject(bucket, source);
    if (replaced) this.options.blobs.remove(replaced.blobId);
    return record;
  }

  /** Live objects in name order, rolled up and paged (see listing.ts). */
  listObjects(bucket: string, options: ListOptions = {}): ListResult {
    return listObjects(this.state(bucket).objects, options);
  }
}

function checkBucketMetageneration(record: BucketRecord, ifMetagenerationMatch: string | undefined): void {
  if (ifMetagenerationMatch !== undefined && String(record.metageneration) !== ifMetagenerationMatch) {
    throw errors.preconditionFailed(
      'If-Metageneration-Match',
      `ifMetagenerationMatch=${ifMetagenerationMatch}, bucket metageneration: ${record.metageneration}`,
    );
  }
}

function pickFields(fields: ObjectFields): ObjectFields {
  const out: ObjectFields = {};
  for (const key of STRING_FIELDS) if (fields[key] !== undefined) out[key] = fields[key];
  if (fields.metadata !== undefined) out.metadata = fields.metadata;
  return out;
}

function withoutNulls(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null && v !== undefined));
}
