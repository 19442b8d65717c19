/**
 * BlobStore on Cloud Storage (or the local storage emulator, named by
 * STORAGE_EMULATOR_HOST). The SDK is imported on first use. Signed URLs are V4: in the
 * cloud the client signs through IAM signBlob with the function's service account;
 * locally it signs with the dev stack's key, which the emulator trusts.
 */
import { pipeline } from 'node:stream/promises';
import type * as StorageSdk from '@google-cloud/storage';
import { AppError, isAppError } from '../../errors/app-error.ts';
import {
  type BlobInfo,
  type BlobStore,
  type SignedUrl,
  type SignOptions,
  signedPutHeaders,
  type WriteOptions,
} from '../../ports/blob-store.ts';

export interface GcsBlobStoreOptions {
  projectId: string;
  /** The emulator's base URL, e.g. `http://127.0.0.1:9199`. */
  apiEndpoint?: string;
  /** Service-account key used to sign URLs locally. */
  credentials?: { client_email: string; private_key: string };
  /**
   * Scheme + host signed URLs are made for, when clients reach storage under another name
   * than `apiEndpoint` (the URL's host is part of the signature).
   */
  signedUrlHost?: string;
  timeoutMs: number;
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export class GcsBlobStore implements BlobStore {
  private client: Promise<StorageSdk.Storage> | undefined;

  constructor(private readonly options: GcsBlobStoreOptions) {}

  private storage(): Promise<StorageSdk.Storage> {
    this.client ??= import('@google-cloud/storage').then(
      (sdk) =>
        new sdk.Storage({
          projectId: this.options.projectId,
          ...(this.options.apiEndpoint ? { apiEndpoint: this.options.apiEndpoint } : {}),
          ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
          retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: this.options.timeoutMs / 1000 },
        }),
    );
    return this.client;
  }

  private async file(bucket: string, name: string): Promise<StorageSdk.File> {
    return (await this.storage()).bucket(bucket).file(name);
  }

  /** Bounds a call in time; maps 404 to `notFound` and transport failures to 503. */
  private async call<T>(what: string, run: () => Promise<T>, notFound?: () => T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new AppError('DEPENDENCY.UNAVAILABLE', 'Storage did not answer in time.', {
                  details: { what },
                }),
              ),
            this.options.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      if (isAppError(error)) throw error;
      const code = codeOf(error);
      if (code === 404 && notFound) return notFound();
      if (code === 404) throw new AppError('MEDIA.NOT_FOUND', 'The object does not exist.', { cause: error });
      if (code === 412) throw new AppError('PRECONDITION.FAILED', 'The object changed.', { cause: error });
      if (code === undefined || code >= 500 || code === 429) {
        throw new AppError('DEPENDENCY.UNAVAILABLE', 'Storage is unavailable.', { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private info(meta: StorageSdk.FileMetadata): BlobInfo {
    return {
      bucket: String(meta.bucket),
      name: String(meta.name),
      size: Number(meta.size ?? 0),
      generation: String(meta.generation ?? '0'),
      contentType: meta.contentType,
      metadata: Object.fromEntries(Object.entries(meta.metadata ?? {}).map(([k, v]) => [k, String(v)])),
    };
  }

  async stat(bucket: string, name: string): Promise<BlobInfo | null> {
    const file = await this.file(bucket, name);
    return this.call(
      'stat',
      async () => this.info((await file.getMetadata())[0]),
      () => null,
    );
  }

  async readRange(bucket: string, name: string, start: number, end: number): Promise<Buffer> {
    const file = await this.file(bucket, name);
    // Validation is off for ranges: a checksum covers the whole object only.
    return this.call('readRange', async () => (await file.download({ start, end, validation: false }))[0]);
  }

  async read(bucket: string, name: string, maxBytes: number): Promise<Buffer> {
    const info = await this.stat(bucket, name);
    if (!info) throw new AppError('MEDIA.NOT_FOUND', 'The object does not exist.');
    if (info.size > maxBytes)
      throw new AppError('REQUEST.TOO_LARGE', `The object is larger than ${maxBytes} bytes.`);
    // The generation measured, not whatever replaced it meanwhile.
    const file = (await this.storage()).bucket(bucket).file(name, { generation: info.generation });
    return this.call('read', async () => (await file.download())[0]);
  }

  async write(
    bucket: string,
    name: string,
    source: Buffer | NodeJS.ReadableStream,
    options: WriteOptions,
  ): Promise<BlobInfo> {
    const file = await this.file(bucket, name);
    const metadata = {
      contentType: options.contentType,
      ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
    };
    const preconditionOpts =
      options.ifGenerationMatch !== undefined
        ? { ifGenerationMatch: Number(options.ifGenerationMatch) }
        : undefined;
    if (Buffer.isBuffer(source)) {
      await this.call('write', () =>
        file.save(source, { resumable: false, metadata, ...(preconditionOpts ? { preconditionOpts } : {}) }),
      );
    } else {
      // Streams are not bounded by the call timeout: their length is the client's.
      const sink = file.createWriteStream({
        resumable: false,
        metadata,
        ...(preconditionOpts ? { preconditionOpts } : {}),
      });
      try {
        await pipeline(source, sink);
      } catch (error) {
        if (isAppError(error)) throw error;
        const code = codeOf(error);
        if (code === 412) throw new AppError('PRECONDITION.FAILED', 'The object already exists.');
        if (code !== undefined && code < 500) throw error;
        throw new AppError('DEPENDENCY.UNAVAILABLE', 'Storage is unavailable.', { cause: error });
      }
    }
    // The upload's response carries the object resource: no second request for it.
    if (file.metadata?.generation) return this.info(file.metadata);
    const info = await this.stat(bucket, name);
    if (!info) throw new AppError('DEPENDENCY.UNAVAILABLE', 'The object vanished after it was written.');
    return info;
  }

  async delete(bucket: string, name: string): Promise<void> {
    const file = await this.file(bucket, name);
    await this.call('delete', async () => void (await file.delete({ ignoreNotFound: true })));
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    const storage = await this.storage();
    return this.call('list', async () =>
      (await storage.bucket(bucket).getFiles({ prefix, autoPaginate: true }))[0].map((f) => f.name),
    );
  }

  async copy(bucket: string, from: string, to: string): Promise<void> {
    const file = await this.file(bucket, from);
    const storage = await this.storage();
    await this.call('copy', async () => void (await file.copy(storage.bucket(bucket).file(to))));
  }

  async signedUrl(bucket: string, name: string, options: SignOptions): Promise<SignedUrl> {
    const file = await this.file(bucket, name);
    const expires = Date.now() + options.expiresInSeconds * 1000;
    const headers = signedPutHeaders(options);
    // Signed as extension headers: Cloud Storage enforces the size range and the
    // precondition, and refuses a PUT that leaves them out or changes them.
    const { 'Content-Type': contentType, ...extensionHeaders } = headers;
    const [url] = await this.call('sign', () =>
      file.getSignedUrl({
        version: 'v4',
        action: options.method === 'PUT' ? 'write' : 'read',
        expires,
        ...(contentType ? { contentType } : {}),
        ...(Object.keys(extensionHeaders).length > 0 ? { extensionHeaders } : {}),
        ...(options.responseDisposition ? { responseDisposition: options.responseDisposition } : {}),
        ...(options.responseType ? { responseType: options.responseType } : {}),
        ...(this.options.signedUrlHost ? { host: this.options.signedUrlHost } : {}),
      }),
    );
    return { url, method: options.method, headers, expiresAt: new Date(expires).toISOString() };
  }

  async ping(bucket: string): Promise<void> {
    const storage = await this.storage();
    // One metadata read of the bucket the service uses: cheaper than a listing, needs only
    // `storage.buckets.get`, and fails when the bucket is missing.
    await this.call('ping', async () => void (await storage.bucket(bucket).getMetadata()));
  }
}
