/** BlobStore held in memory with generations, for unit tests of the media use cases. */
import { AppError } from '../../errors/app-error.ts';
import type { BlobInfo, BlobStore, SignedUrl, WriteOptions } from '../../ports/blob-store.ts';

interface Blob {
  bytes: Buffer;
  info: BlobInfo;
}

async function collect(source: Buffer | NodeJS.ReadableStream): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Blob>();
  private generation = 1_000_000;
  /** Every write, in order (tests count them). */
  readonly writes: string[] = [];
  down = false;

  private check(): void {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'Storage is unavailable.');
  }

  private key(bucket: string, name: string): string {
    return `${bucket}/${name}`;
  }

  async stat(bucket: string, name: string): Promise<BlobInfo | null> {
    this.check();
    return this.blobs.get(this.key(bucket, name))?.info ?? null;
  }

  async readRange(bucket: string, name: string, start: number, end: number): Promise<Buffer> {
    this.check();
    const blob = this.blobs.get(this.key(bucket, name));
    if (!blob) throw new AppError('MEDIA.NOT_FOUND', `No object ${name}`);
    return blob.bytes.subarray(start, end + 1);
  }

  async read(bucket: string, name: string, maxBytes: number): Promise<Buffer> {
    this.check();
    const blob = this.blobs.get(this.key(bucket, name));
    if (!blob) throw new AppError('MEDIA.NOT_FOUND', `No object ${name}`);
    if (blob.bytes.length > maxBytes)
      throw new AppError('REQUEST.TOO_LARGE', `Object larger than ${maxBytes} bytes`);
    return blob.bytes;
  }

  async write(
    bucket: string,
    name: string,
    source: Buffer | NodeJS.ReadableStream,
    options: WriteOptions,
  ): Promise<BlobInfo> {
    this.check();
    const current = this.blobs.get(this.key(bucket, name));
    if (
      options.ifGenerationMatch !== undefined &&
      (current?.info.generation ?? '0') !== options.ifGenerationMatch
    ) {
      throw new AppError('PRECONDITION.FAILED', 'Generation mismatch');
    }
    const bytes = await collect(source);
    const info: BlobInfo = {
      bucket,
      name,
      size: bytes.length,
      generation: String(++this.generation),
      contentType: options.contentType,
      metadata: { ...(options.metadata ?? {}) },
    };
    this.blobs.set(this.key(bucket, name), { bytes, info });
    this.writes.push(name);
    return info;
  }

  async delete(bucket: string, name: string): Promise<void> {
    this.check();
    this.blobs.delete(this.key(bucket, name));
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    this.check();
    return [...this.blobs.values()]
      .filter((b) => b.info.bucket === bucket && b.info.name.startsWith(prefix))
      .map((b) => b.info.name);
  }

  async copy(bucket: string, from: string, to: string): Promise<void> {
    const blob = this.blobs.get(this.key(bucket, from));
    if (!blob) throw new AppError('MEDIA.NOT_FOUND', `No object ${from}`);
    await this.write(bucket, to, blob.bytes, {
      contentType: blob.info.contentType ?? 'application/octet-stream',
      metadata: blob.info.metadata,
    });
  }

  async signedUrl(
    bucket: string,
    name: string,
    options: { method: 'GET' | 'PUT'; expiresInSeconds: number; contentType?: string },
  ): Promise<SignedUrl> {
    this.check();
    return {
      url: `memory://${bucket}/${encodeURIComponent(name)}?method=${options.method}`,
      method: options.method,
      headers: options.contentType ? { 'Content-Type': options.contentType } : {},
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString(),
    };
  }

  async ping(): Promise<void> {
    this.check();
  }
}
