/**
 * Turning streamed request bytes into stored content: each chunk is hashed (MD5, CRC32C,
 * and SHA-256 when a signed request promised one) and appended to a blob as it arrives.
 * Checksums the client sent (`x-goog-hash`, `Content-MD5`) are compared before anything
 * becomes visible, as GCS does, so a corrupted upload is refused rather than stored.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BlobWriter } from './blobs.ts';
import { crc32c, crc32cBase64 } from './crc32c.ts';
import { errors, StorageError } from './errors.ts';
import type { Content } from './records.ts';

/** Running MD5 + CRC32C (+ optional SHA-256) over bytes in order. */
export class ContentHasher {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | undefined;
  private crc = 0;
  size = 0;

  constructor(options: { sha256?: boolean } = {}) {
    this.sha256 = options.sha256 ? createHash('sha256') : undefined;
  }

  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.crc = crc32c(chunk, this.crc);
    this.size += chunk.length;
  }

  /** Call once, at the end. */
  digest(): { md5Hash: string; crc32c: string; sha256Hex?: string } {
    const result: { md5Hash: string; crc32c: string; sha256Hex?: string } = {
      md5Hash: this.md5.digest('base64'),
      crc32c: crc32cBase64(this.crc),
    };
    if (this.sha256) result.sha256Hex = this.sha256.digest('hex');
    return result;
  }
}

/** Checksums a client declared for the whole object. */
export interface ExpectedHashes {
  md5?: string;
  crc32c?: string;
  /** Hex, from a signed `x-goog-content-sha256`. */
  sha256Hex?: string;
}

/** `x-goog-hash: crc32c=…,md5=…` (possibly repeated) and `Content-MD5`. */
export function expectedHashes(headers: IncomingHttpHeaders): ExpectedHashes {
  const expected: ExpectedHashes = {};
  const goog = headers['x-goog-hash'];
  const values = Array.isArray(goog) ? goog : typeof goog === 'string' ? [goog] : [];
  for (const pair of values.flatMap((v) => v.split(','))) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const key = pair.slice(0, at).trim().toLowerCase();
    const value = pair.slice(at + 1).trim();
    if (key === 'md5') expected.md5 = value;
    if (key === 'crc32c') expected.crc32c = value;
  }
  const contentMd5 = headers['content-md5'];
  if (typeof contentMd5 === 'string' && contentMd5.trim()) expected.md5 = contentMd5.trim();
  return expected;
}

export function checkHashes(actual: ReturnType<ContentHasher['digest']>, expected: ExpectedHashes): void {
  const mismatch = (kind: string, provided: string, calculated: string) =>
    new StorageError({
      status: 400,
      reason: 'invalid',
      xmlCode: 'BadDigest',
      message: `Provided ${kind} hash "${provided}" doesn't match calculated ${kind} hash "${calculated}".`,
    });
  if (expected.md5 !== undefined && expected.md5 !== actual.md5Hash) {
    throw mismatch('MD5', expected.md5, actual.md5Hash);
  }
  if (expected.crc32c !== undefined && expected.crc32c !== actual.crc32c) {
    throw mismatch('CRC32C', expected.crc32c, actual.crc32c);
  }
  if (expected.sha256Hex !== undefined && expected.sha256Hex.toLowerCase() !== actual.sha256Hex) {
    throw mismatch('SHA256', expected.sha256Hex, actual.sha256Hex ?? '');
  }
}

/** The sizes a request's `x-goog-content-length-range: MIN,MAX` allows, both inclusive. */
export interface LengthRange {
  min: number;
  max: number;
}

/** The request's `x-goog-content-length-range` (applied whether signed or not, as GCS does). */
export function lengthRangeOf(headers: IncomingHttpHeaders): LengthRange | undefined {
  const value = headers['x-goog-content-length-range'];
  if (value === undefined) return undefined;
  const m = String(value).match(/^\s*(\d{1,15})\s*,\s*(\d{1,15})\s*$/);
  if (!m || Number(m[1]) > Number(m[2])) {
    throw errors.badRequest(`Invalid x-goog-content-length-range: '${String(value)}' (expected MIN,MAX).`);
  }
  return { min: Number(m[1]), max: Number(m[2]) };
}

/**
 * Refuses what cannot fit the range before any body is read: a Content-Length outside it.
 * The bytes themselves are counted as they arrive (`writeContent`), so a chunked body or a
 * lying length is refused too.
 */
export function checkAnnouncedLength(headers: IncomingHttpHeaders, range: LengthRange | undefined): void {
  const announced = headers['content-length'];
  if (!range || announced === undefined || !/^\d+$/.test(announced)) return;
  const size = Number(announced);
  if (size > range.max || size < range.min) throw errors.lengthOutOfRange(size, range);
}

/**
 * Streams `source` into `writer`, hashing on the way, and checks `expected` and `range`. On
 * any failure (client gone, checksum mismatch, too many or too few bytes) the partial blob
 * is discarded and the error rethrown.
 */
export async function writeContent(
  writer: BlobWriter,
  source: AsyncIterable<Buffer>,
  expected: ExpectedHashes = {},
  range?: LengthRange,
): Promise<Content> {
  const hasher = new ContentHasher({ sha256: expected.sha256Hex !== undefined });
  let received = 0;
  try {
    for await (const chunk of source) {
      received += chunk.length;
      // Past the range nothing more is kept, but the body is read to its end: the client
      // reads our answer only once it has sent it.
      if (range && received > range.max) continue;
      hasher.update(chunk);
      await writer.append(chunk);
    }
    if (range && (received > range.max || received < range.min)) {
      throw errors.lengthOutOfRange(received, range);
    }
    const digest = hasher.digest();
    checkHashes(digest, expected);
    const blobId = await writer.finish();
    return { blobId, size: hasher.size, md5Hash: digest.md5Hash, crc32c: digest.crc32c };
  } catch (error) {
    await writer.discard();
    throw error;
  }
}
