/** Object storage the media pipeline needs: bounded reads, guarded writes, signed URLs. */

export interface BlobInfo {
  bucket: string;
  name: string;
  size: number;
  generation: string;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

export interface WriteOptions {
  contentType: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  /** Write only if the current generation is this one ('0': only if absent). */
  ifGenerationMatch?: string;
}

/** What a signed URL is good for. */
export interface SignOptions {
  method: 'GET' | 'PUT';
  expiresInSeconds: number;
  /** PUT only: the Content-Type the upload must declare. */
  contentType?: string;
  /** PUT only: the most bytes the upload may have (`x-goog-content-length-range: 0,maxBytes`). */
  maxBytes?: number;
  /** PUT only: '0' makes the URL good for one upload (`x-goog-if-generation-match: 0`). */
  ifGenerationMatch?: string;
  responseDisposition?: string;
  /** GET only: the Content-Type the download is served with. */
  responseType?: string;
}

/**
 * The headers a PUT to a URL signed with `options` must carry: they are part of the
 * signature, and Cloud Storage enforces the size range and the precondition they state.
 */
export function signedPutHeaders(options: SignOptions): Record<string, string> {
  if (options.method !== 'PUT') return {};
  return {
    ...(options.contentType ? { 'Content-Type': options.contentType } : {}),
    ...(options.maxBytes !== undefined ? { 'x-goog-content-length-range': `0,${options.maxBytes}` } : {}),
    ...(options.ifGenerationMatch !== undefined
      ? { 'x-goog-if-generation-match': options.ifGenerationMatch }
      : {}),
  };
}

export interface SignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  /** Headers the client must send with the request (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface BlobStore {
  stat(bucket: string, name: string): Promise<BlobInfo | null>;
  /** Bytes [start, end] inclusive (clamped to the object's size). */
  readRange(bucket: string, name: string, start: number, end: number): Promise<Buffer>;
  /** The whole object; refuses objects larger than `maxBytes` without reading them. */
  read(bucket: string, name: string, maxBytes: number): Promise<Buffer>;
  write(
    bucket: string,
    name: string,
    bytes: Buffer | NodeJS.ReadableStream,
    options: WriteOptions,
  ): Promise<BlobInfo>;
  /** Deletes; absent objects are not an error. */
  delete(bucket: string, name: string): Promise<void>;
  /** Every object name under a prefix. */
  list(bucket: string, prefix: string): Promise<string[]>;
  copy(bucket: string, from: string, to: string): Promise<void>;
  signedUrl(bucket: string, name: string, options: SignOptions): Promise<SignedUrl>;
  /** A cheap round trip for health checks: reads the bucket's metadata (fails when it is absent). */
  ping(bucket: string): Promise<void>;
}
