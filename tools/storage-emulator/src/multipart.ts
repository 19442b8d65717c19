/**
 * A streaming reader for `multipart/related` upload bodies (a JSON metadata part, then the
 * media part), as the Node client builds them: `--B\r\nContent-Type: …\r\n\r\n{json}\r\n--B…`.
 * The metadata part is small and buffered; the media part is handed on as a stream that
 * ends at the next boundary, so the object's bytes are never gathered in one buffer.
 */
import { errors } from './errors.ts';

const CRLF = Buffer.from('\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_METADATA_BYTES = 1024 * 1024;

export interface MultipartUpload {
  /** The first part's JSON (undefined when empty). */
  metadata: unknown;
  /** The media part's `Content-Type`, if it had one. */
  mediaType: string | undefined;
  /** The media bytes; iterate exactly once. Rejects if the body ends before the closing boundary. */
  media: AsyncIterable<Buffer>;
  /** Reads (and ignores) what follows the media part: the closing boundary and epilogue. */
  rest(): Promise<void>;
}

export function boundaryOf(contentType: string | undefined): string {
  const match = contentType?.match(/^multipart\/related\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) {
    throw errors.badRequest('A multipart upload needs Content-Type: multipart/related; boundary=….');
  }
  return boundary;
}

/** Consumes `source` up to the media part and returns both parts. */
export async function readMultipart(
  source: AsyncIterable<Buffer>,
  boundary: string,
): Promise<MultipartUpload> {
  const reader = new ChunkReader(source);
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);

  // Preamble (normally empty), then the first boundary line.
  await reader.readUntil(dashBoundary, MAX_HEADER_BYTES);
  await reader.readUntil(CRLF, MAX_HEADER_BYTES);
  await readPartHeaders(reader);
  const metadataBytes = await reader.readUntil(delimiter, MAX_METADATA_BYTES);
  const closing = await reader.readUntil(CRLF, MAX_HEADER_BYTES);
  if (closing.subarray(0, 2).toString() === '--') {
    throw errors.badRequest('Multipart upload without a media part.');
  }
  const headers = await readPartHeaders(reader);
  let metadata: unknown;
  if (metadataBytes.length > 0) {
    try {
      metadata = JSON.parse(metadataBytes.toString('utf8'));
    } catch {
      throw errors.badRequest('The metadata part of the multipart upload is not valid JSON.', 'parseError');
    }
  }
  return {
    metadata,
    mediaType: headers['content-type'],
    media: reader.streamUntil(delimiter),
    rest: () => reader.rest(),
  };
}

async function readPartHeaders(reader: ChunkReader): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (let total = 0; ; ) {
    const line = (await reader.readUntil(CRLF, MAX_HEADER_BYTES)).toString('utf8');
    if (line === '') return headers;
    total += line.length;
    if (total > MAX_HEADER_BYTES) throw errors.badRequest('Multipart part headers too large.');
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}

/** Pulls chunks from a source on demand and finds delimiters across chunk edges. */
class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private head: Buffer = Buffer.alloc(0);

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    const next = await this.iterator.next();
    if (next.done) return false;
    this.head = this.head.length === 0 ? next.value : Buffer.concat([this.head, next.value]);
    return true;
  }

  private truncated(): Error {
    return errors.badRequest('The multipart body ended before its closing boundary.');
  }

  async rest(): Promise<void> {
    this.head = Buffer.alloc(0);
    while (!(await this.iterator.next()).done) {
      // Discarded.
    }
  }

  /** The bytes before `delimiter` (which is consumed); at most `limit` of them. */
  async readUntil(delimiter: Buffer, limit: number): Promise<Buffer> {
    for (;;) {
      const at = this.head.indexOf(delimiter);
      if (at >= 0) {
        const before = this.head.subarray(0, at);
        this.head = this.head.subarray(at + delimiter.length);
        return before;
      }
      if (this.head.length > limit + delimiter.length) throw errors.badRequest('Multipart part too large.');
      if (!(await this.pull())) throw this.truncated();
    }
  }

  /** The bytes before `delimiter`, as they arrive; keeps back only what could start a delimiter. */
  async *streamUntil(delimiter: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.head.indexOf(delimiter);
      if (at >= 0) {
        if (at > 0) yield this.head.subarray(0, at);
        this.head = this.head.subarray(at + delimiter.length);
        return;
      }
      const safe = this.head.length - (delimiter.length - 1);
      if (safe > 0) {
        yield this.head.subarray(0, safe);
        this.head = this.head.subarray(safe);
      }
      if (!(await this.pull())) throw this.truncated();
    }
  }
}
