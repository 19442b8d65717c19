/**
 * Resumable upload sessions. A session is created with the object's name, metadata and
 * preconditions; bytes then arrive over any number of PUTs and are persisted in 256 KiB
 * units like GCS does (a non-final chunk that is not a multiple of 256 KiB, or a request cut
 * off midway, leaves only the whole units persisted; the `Range` the client gets back says
 * so, and the client re-sends the rest). PUTs to one session are handled one at a time.
 * Sessions live in memory: a restart loses uploads in flight, never finished objects.
 */
import { randomUUID } from 'node:crypto';
import type { BlobWriter } from './blobs.ts';
import { ContentHasher, type LengthRange } from './content.ts';
import { errors } from './errors.ts';
import type { Preconditions } from './preconditions.ts';
import type { Content, ObjectFields, ObjectRecord } from './records.ts';

/** GCS persists resumable uploads in multiples of this. */
export const UPLOAD_UNIT = 256 * 1024;
/** Unfinished sessions are forgotten (and their bytes freed) after this long without use. */
const SESSION_TTL_MS = 24 * 3_600_000;

export interface UploadTarget {
  bucket: string;
  name: string;
  fields: ObjectFields;
  preconditions: Preconditions;
  /** From `X-Upload-Content-Length`, when the client announced it. */
  declaredSize?: number;
  /** From the `x-goog-content-length-range` the session was opened with. */
  lengthRange?: LengthRange;
}

export class UploadSession {
  readonly id = randomUUID().replaceAll('-', '');
  private readonly hasher = new ContentHasher();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lock: Promise<void> = Promise.resolve();
  /** Set once the object exists: later status queries answer with it. */
  result: ObjectRecord | undefined;
  lastUsed: number;

  constructor(
    readonly target: UploadTarget,
    readonly api: 'json' | 'xml',
    private readonly writer: BlobWriter,
    now: number,
  ) {
    this.lastUsed = now;
  }

  /** Bytes durably received: what `Range` reports. */
  get persisted(): number {
    return this.writer.size;
  }

  /** Bytes received including the not yet persisted tail of the current request. */
  get received(): number {
    return this.writer.size + this.pendingBytes;
  }

  /** Runs `work` once every earlier request on this session is done. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async append(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= UPLOAD_UNIT) {
      await this.flush(this.pendingBytes - (this.pendingBytes % UPLOAD_UNIT));
    }
  }

  /** What a request left short of a whole unit is not persisted (see the module comment). */
  dropTail(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Persists everything received and returns the finished content. */
  async finish(): Promise<Content> {
    await this.flush(this.pendingBytes);
    const digest = this.hasher.digest();
    const blobId = await this.writer.finish();
    return { blobId, size: this.hasher.size, md5Hash: digest.md5Hash, crc32c: digest.crc32c };
  }

  discard(): Promise<void> {
    this.dropTail();
    return this.writer.discard();
  }

  private async flush(bytes: number): Promise<void> {
    const kept: Buffer[] = [];
    let left = bytes;
    for (const chunk of this.pending) {
      if (left === 0) {
        kept.push(chunk);
        continue;
      }
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      if (part.length < chunk.length) kept.push(chunk.subarray(part.length));
      left -= part.length;
      this.hasher.update(part);
      await this.writer.append(part);
    }
    this.pending = kept;
    this.pendingBytes -= bytes;
  }
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  constructor(
    private readonly createWriter: () => Promise<BlobWriter>,
    private readonly clock: () => number,
  ) {}

  async create(target: UploadTarget, api: 'json' | 'xml'): Promise<UploadSession> {
    this.sweep();
    const session = new UploadSession(target, api, await this.createWriter(), this.clock());
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): UploadSession {
    const session = this.sessions.get(id);
    if (!session) throw errors.uploadNotFound();
    session.lastUsed = this.clock();
    return session;
  }

  async cancel(id: string): Promise<void> {
    const session = this.get(id);
    this.sessions.delete(id);
    if (!session.result) await session.discard();
  }

  /** Forgets a session whose upload failed for good (bad checksum, precondition). */
  forget(id: string): void {
    this.sessions.delete(id);
  }

  async close(): Promise<void> {
    const open = [...this.sessions.values()].filter((s) => !s.result);
    this.sessions.clear();
    await Promise.all(open.map((s) => s.discard().catch(() => {})));
  }

  private sweep(): void {
    const cutoff = this.clock() - SESSION_TTL_MS;
    for (const [id, session] of this.sessions) {
      if (session.lastUsed >= cutoff) continue;
      this.sessions.delete(id);
      if (!session.result) session.discard().catch(() => {});
    }
  }
}
