/**
 * Reads one file part of a `multipart/form-data` request as a stream (busboy), never
 * buffering it whole: the bytes are checked as they pass — the first ones must be an
 * image the pipeline accepts (else 415), and more than `maxBytes` aborts with 413.
 */
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import { SNIFF_BYTES, sniffImageType } from '../domain/image.ts';
import { AppError } from '../errors/app-error.ts';

export interface FilePart {
  filename: string;
  contentType: string;
  /** The file's bytes; errors with 413 / 415 as described above. */
  stream: NodeJS.ReadableStream;
}

/** Passes bytes through, sniffing the first ones and counting the rest. */
class GuardedStream extends Transform {
  private seen = 0;
  private head: Buffer[] = [];
  private sniffed = false;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      done(
        new AppError(
          'REQUEST.TOO_LARGE',
          `Files are limited to ${this.maxBytes} bytes here; use POST /v1/media/uploads.`,
          {
            details: { limit: this.maxBytes },
          },
        ),
      );
      return;
    }
    if (this.sniffed) {
      done(null, chunk);
      return;
    }
    this.head.push(chunk);
    const head = Buffer.concat(this.head);
    if (head.length < SNIFF_BYTES) {
      done();
      return;
    }
    this.check(head, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.sniffed) {
      done();
      return;
    }
    this.check(Buffer.concat(this.head), done);
  }

  private check(head: Buffer, done: TransformCallback): void {
    this.sniffed = true;
    this.head = [];
    if (head.length === 0) {
      done(
        new AppError('REQUEST.VALIDATION', 'The file is empty.', {
          details: { issues: [{ path: 'file', reason: 'empty' }] },
        }),
      );
    } else if (!sniffImageType(head)) {
      done(
        new AppError(
          'REQUEST.UNSUPPORTED_MEDIA_TYPE',
          'The file is not a supported image (JPEG, PNG, WebP, AVIF/HEIF, GIF, TIFF).',
        ),
      );
    } else {
      done(null, head);
    }
  }
}

const malformed = () =>
  new AppError('REQUEST.VALIDATION', 'The multipart body is malformed.', {
    details: { issues: [{ path: 'body', reason: 'malformed multipart' }] },
  });

/** Resolves with the `file` part as soon as its headers arrive; other parts are refused. */
export function readFilePart(req: IncomingMessage, field: string, maxBytes: number): Promise<FilePart> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // The name as sent (no silent basename): the caller validates it.
        preservePath: true,
        limits: { files: 1, fields: 0, parts: 1, fileSize: maxBytes + 1 },
      });
    } catch {
      reject(malformed());
      return;
    }
    let found = false;
    parser.on('file', (name, file, info) => {
      if (name !== field || found) {
        file.resume();
        return;
      }
      found = true;
      const guarded = new GuardedStream(maxBytes);
      // The stream keeps its error (`errored`) for whoever reads it; without a listener, an
      // error raised before the reader attaches (an empty or non-image file is judged at the
      // end of a short part) would be an uncaught exception.
      guarded.on('error', () => {});
      // busboy's own complaints (a part cut short, no closing boundary) are the client's.
      file.on('error', () => guarded.destroy(malformed()));
      file.pipe(guarded);
      resolve({
        filename: info.filename ?? '',
        contentType: info.mimeType || 'application/octet-stream',
        stream: guarded,
      });
    });
    parser.on('error', () => reject(malformed()));
    parser.on('close', () => {
      if (!found)
        reject(
          new AppError('REQUEST.VALIDATION', `Send the file in a part named "${field}".`, {
            details: { issues: [{ path: field, reason: 'required' }] },
          }),
        );
    });
    req.pipe(parser);
  });
}
