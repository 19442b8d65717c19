/**
 * Keeping buckets and object metadata across restarts (only with a data directory). One
 * small JSON file per bucket and per object, each replaced atomically (write a temporary
 * file, rename it over): a crash leaves either the old or the new record, never half of one,
 * and a write costs the same with ten objects or ten thousand. Writes to the same file are
 * queued so they land in the order the store made them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BucketRecord, ObjectRecord } from './records.ts';

export interface Persistence {
  load(): Promise<{ buckets: BucketRecord[]; objects: ObjectRecord[] }>;
  saveBucket(bucket: BucketRecord): Promise<void>;
  removeBucket(name: string): Promise<void>;
  saveObject(object: ObjectRecord): Promise<void>;
  removeObject(bucket: string, name: string): Promise<void>;
}

/** Nothing survives the process: the default. */
export const noPersistence: Persistence = {
  load: async () => ({ buckets: [], objects: [] }),
  saveBucket: async () => {},
  removeBucket: async () => {},
  saveObject: async () => {},
  removeObject: async () => {},
};

export class DiskPersistence implements Persistence {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly bucketDir: string;
  private readonly objectDir: string;

  private constructor(dir: string) {
    this.bucketDir = join(dir, 'buckets');
    this.objectDir = join(dir, 'objects');
  }

  static async open(dir: string): Promise<DiskPersistence> {
    const persistence = new DiskPersistence(dir);
    await mkdir(persistence.bucketDir, { recursive: true });
    await mkdir(persistence.objectDir, { recursive: true });
    return persistence;
  }

  async load(): Promise<{ buckets: BucketRecord[]; objects: ObjectRecord[] }> {
    return {
      buckets: await readAll<BucketRecord>(this.bucketDir),
      objects: await readAll<ObjectRecord>(this.objectDir),
    };
  }

  saveBucket(bucket: BucketRecord): Promise<void> {
    return this.write(join(this.bucketDir, `${bucket.name}.json`), bucket);
  }

  removeBucket(name: string): Promise<void> {
    return this.write(join(this.bucketDir, `${name}.json`), undefined);
  }

  saveObject(object: ObjectRecord): Promise<void> {
    return this.write(this.objectFile(object.bucket, object.name), object);
  }

  removeObject(bucket: string, name: string): Promise<void> {
    return this.write(this.objectFile(bucket, name), undefined);
  }

  /** Object names may be 1024 bytes of anything: the file is named by their hash. */
  private objectFile(bucket: string, name: string): string {
    const key = createHash('sha256').update(bucket).update('\0').update(name).digest('hex');
    return join(this.objectDir, `${key}.json`);
  }

  /** Writes `record` to `file` (or deletes it when undefined), after earlier writes to it. */
  private write(file: string, record: object | undefined): Promise<void> {
    const previous = this.queues.get(file) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (record === undefined) {
        await rm(file, { force: true });
        return;
      }
      const temp = `${file}.${randomUUID()}.tmp`;
      await writeFile(temp, JSON.stringify(record));
      await rename(temp, file);
    });
    const settled = next.catch(() => {});
    this.queues.set(file, settled);
    settled.then(() => {
      if (this.queues.get(file) === settled) this.queues.delete(file);
    });
    return next;
  }
}

async function readAll<T>(dir: string): Promise<T[]> {
  const records: T[] = [];
  for (const name of await readdir(dir)) {
    const file = join(dir, name);
    // Leftovers of a crash mid-write; the record they were replacing is still there.
    if (name.endsWith('.tmp')) {
      await rm(file, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    records.push(JSON.parse(await readFile(file, 'utf8')) as T);
  }
  return records;
}
