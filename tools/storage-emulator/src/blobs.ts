/**
 * Where object bytes live: in memory (the default) or as one file per blob under a data
 * directory. Bytes arrive chunk by chunk and are kept as they come (memory: the request's
 * own buffers; disk: appended to the file), so a 25 MiB upload is never held twice. Blobs
 * are immutable once finished; an overwrite writes a new blob and removes the old one,
 * which on disk waits until every download still reading it is done.
 */

import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface BlobWriter {
  /** Bytes appended so far. */
  readonly size: number;
  append(chunk: Buffer): Promise<void>;
  /** Seals the blob and returns its id; no append after this. */
  finish(): Promise<string>;
  /** Drops what was written (an aborted or refused upload). */
  discard(): Promise<void>;
}

export interface BlobStore {
  createWriter(): Promise<BlobWriter>;
  /** Bytes `[start, end)` of a finished blob. */
  read(id: string, start: number, end: number): Readable;
  /** Frees a blob; readers already streaming it finish first. */
  remove(id: string): void;
  /** Deletes stored blobs not in `keep` (leftovers of a crash between write and commit). */
  collectGarbage(keep: ReadonlySet<string>): Promise<void>;
}

const empty = (): Readable => Readable.from([]);

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer[]>();

  async createWriter(): Promise<BlobWriter> {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    return {
      get size() {
        return size;
      },
      append: async (chunk) => {
        if (done) throw new Error('blob already finished');
        if (chunk.length === 0) return;
        // A small view into a much larger buffer would keep all of it alive: copy those.
        chunks.push(chunk.length * 2 < chunk.buffer.byteLength ? Buffer.from(chunk) : chunk);
        size += chunk.length;
      },
      finish: async () => {
        done = true;
        const id = randomUUID();
        this.blobs.set(id, chunks);
        return id;
      },
      discard: async () => {
        done = true;
        chunks.length = 0;
      },
    };
  }

  read(id: string, start: number, end: number): Readable {
    const chunks = this.blobs.get(id);
    if (!chunks) throw new Error(`blob ${id} is gone`);
    if (end <= start) return empty();
    // A generator over the chunk list: the reader holds the array, so an overwrite that
    // drops the blob from the map does not cut a download short.
    return Readable.from(sliceChunks(chunks, start, end), { objectMode: false });
  }

  remove(id: string): void {
    this.blobs.delete(id);
  }

  async collectGarbage(): Promise<void> {}
}

function* sliceChunks(chunks: readonly Buffer[], start: number, end: number): Generator<Buffer> {
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset < end) {
      yield chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset));
    }
    offset = chunkEnd;
    if (offset >= end) return;
  }
}

export class DiskBlobStore implements BlobStore {
  private readonly readers = new Map<string, number>();
  private readonly doomed = new Set<string>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<DiskBlobStore> {
    await mkdir(dir, { recursive: true });
    return new DiskBlobStore(dir);
  }

  private path(id: string): string {
    return join(this.dir, id);
  }

  async createWriter(): Promise<BlobWriter> {
    const id = randomUUID();
    const path = this.path(id);
    const handle: FileHandle = await open(path, 'w');
    let size = 0;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      get size() {
        return size;
      },
      append: async (chunk) => {
        if (closed) throw new Error('blob already finished');
        if (chunk.length === 0) return;
        await handle.write(chunk, 0, chunk.length, size);
        size += chunk.length;
      },
      finish: async () => {
        await close();
        return id;
      },
      discard: async () => {
        await close();
        await rm(path, { force: true });
      },
    };
  }

  read(id: string, start: number, end: number): Readable {
    if (end <= start) return empty();
    this.readers.set(id, (this.readers.get(id) ?? 0) + 1);
    const stream = createReadStream(this.path(id), { start, end: end - 1 });
    stream.once('close', () => {
      const left = (this.readers.get(id) ?? 1) - 1;
      if (left > 0) {
        this.readers.set(id, left);
        return;
      }
      this.readers.delete(id);
      if (this.doomed.delete(id)) this.unlink(id);
    });
    return stream;
  }

  remove(id: string): void {
    if (this.readers.has(id)) this.doomed.add(id);
    else this.unlink(id);
  }

  private unlink(id: string): void {
    // Best effort: a blob that cannot be deleted now is an orphan the next start collects.
    unlink(this.path(id)).catch(() => {});
  }

  async collectGarbage(keep: ReadonlySet<string>): Promise<void> {
    const names = await readdir(this.dir);
    await Promise.all(names.filter((n) => !keep.has(n)).map((n) => rm(this.path(n), { force: true })));
  }
}
