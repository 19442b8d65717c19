/**
 * BlobStore held in memory with generations, for unit and component tests of the media
 * use cases. Two stand-ins for what Cloud Storage does around the API: `onWrite` listeners
 * hear every completed write (the bucket's finalize notifications), and `fetchSigned`
 * answers a request to one of its `memory://` signed URLs as Cloud Storage answers a V4
 * signed URL (method, expiry and signed headers enforced; `x-goog-content-length-range`
 * and `x-goog-if-generation-match` applied).
 */
import { AppError, isAppError } from '../../errors/app-error.ts';
import {
  type BlobInfo,
  type BlobStore,
  type SignedUrl,
  type SignOptions,
  signedPutHeaders,
  type WriteOptions,
} from '../../ports/blob-store.ts';

interface Blob {
  bytes: Buffer;
  info: BlobInfo;
  /** When the generation was written (the object resource's `timeCreated`). */
  created: string;
}

/** A request to a signed URL, and the answer, as HTTP would carry them. */
export interface SignedRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface SignedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const SIGNED_URL = /^memory:\/\/([^/?]+)\/([^?]+)\?(.*)$/;
/** Query prefix of the headers a URL was signed with. */
const SIGNED_HEADER = 'signed-';

function refusal(status: number, code: string, message: string): SignedResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml; charset=UTF-8' },
    body: Buffer.from(
      `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    ),
  };
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
  private readonly listeners = new Set<(info: BlobInfo) => void>();
  down = false;

  /**
   * Calls `listener` after every completed write, as a bucket notifies an object's
   * finalize; returns the function that stops it. A listener's failure never fails a write.
   */
  onWrite(listener: (info: BlobInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** When the object's current generation was written; null when absent. */
  createdAt(bucket: string, name: string): string | null {
    return this.blobs.get(this.key(bucket, name))?.created ?? null;
  }

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
    this.blobs.set(this.key(bucket, name), { bytes, info, created: new Date().toISOString() });
    this.writes.push(name);
    for (const listener of this.listeners) {
      try {
        listener(structuredClone(info));
      } catch {
        // A notification is delivered after the write; its trouble is not the writer's.
      }
    }
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

  async signedUrl(bucket: string, name: string, options: SignOptions): Promise<SignedUrl> {
    this.check();
    const expires = Date.now() + options.expiresInSeconds * 1000;
    const headers = signedPutHeaders(options);
    const query = new URLSearchParams({ method: options.method, expires: String(expires) });
    // The signed headers travel in the URL (a real signature covers them the same way).
    for (const [header, value] of Object.entries(headers))
      query.set(`${SIGNED_HEADER}${header.toLowerCase()}`, value);
    if (options.responseDisposition) query.set('response-content-disposition', options.responseDisposition);
    return {
      url: `memory://${bucket}/${encodeURIComponent(name)}?${query}`,
      method: options.method,
      headers,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /**
   * Answers a request to a URL `signedUrl` made, as Cloud Storage answers a V4 signed URL:
   * another method than signed, or a signed header left out or changed → 403
   * SignatureDoesNotMatch, past its expiry → 400 ExpiredToken, a body outside
   * `x-goog-content-length-range` → 400 EntityTooLarge / EntityTooSmall, an
   * `x-goog-if-generation-match` that does not hold → 412 PreconditionFailed, GET of an
   * absent object → 404 NoSuchKey; a PUT writes the object.
   */
  async fetchSigned(url: string, request: SignedRequest): Promise<SignedResponse> {
    const match = url.match(SIGNED_URL);
    if (!match) return refusal(400, 'InvalidArgument', 'Not a signed URL of this store.');
    const [, bucket = '', encodedName = '', search = ''] = match;
    const name = decodeURIComponent(encodedName);
    const query = new URLSearchParams(search);
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    if (query.get('method') !== request.method.toUpperCase())
      return refusal(403, 'SignatureDoesNotMatch', 'The request method is not the signed one.');
    for (const [key, value] of query) {
      if (key.startsWith(SIGNED_HEADER) && headers[key.slice(SIGNED_HEADER.length)] !== value)
        return refusal(
          403,
          'SignatureDoesNotMatch',
          `The ${key.slice(SIGNED_HEADER.length)} header is not the signed one.`,
        );
    }
    if (!(Date.now() <= Number(query.get('expires'))))
      return refusal(400, 'ExpiredToken', 'Invalid argument.');
    this.check();
    if (request.method.toUpperCase() === 'PUT') {
      const body = request.body ?? Buffer.alloc(0);
      const range = headers['x-goog-content-length-range']?.match(/^(\d+),(\d+)$/);
      if (range && body.length > Number(range[2]))
        return refusal(
          400,
          'EntityTooLarge',
          'Your proposed upload exceeds the maximum allowed object size.',
        );
      if (range && body.length < Number(range[1]))
        return refusal(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
        );
      const ifGenerationMatch = headers['x-goog-if-generation-match'];
      try {
        await this.write(bucket, name, body, {
          contentType: headers['content-type'] ?? 'application/octet-stream',
          ...(ifGenerationMatch !== undefined ? { ifGenerationMatch } : {}),
        });
      } catch (error) {
        if (!isAppError(error) || error.code !== 'PRECONDITION.FAILED') throw error;
        return refusal(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold.',
        );
      }
      return { status: 200, headers: {}, body: Buffer.alloc(0) };
    }
    const blob = this.blobs.get(this.key(bucket, name));
    if (!blob) return refusal(404, 'NoSuchKey', 'The specified key does not exist.');
    const disposition = query.get('response-content-disposition');
    return {
      status: 200,
      headers: {
        'content-type': blob.info.contentType ?? 'application/octet-stream',
        'content-length': String(blob.bytes.length),
        ...(disposition ? { 'content-disposition': disposition } : {}),
      },
      body: Buffer.from(blob.bytes),
    };
  }

  async ping(_bucket: string): Promise<void> {
    this.check();
  }
}
