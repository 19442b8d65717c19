/**
 * functions-framework parses every body before the function runs, with a 1 GB limit, and
 * answers malformed JSON with an HTML page of its own. The contract wants the JSON error
 * body and a size limit enforced before a large body is buffered. This wraps the framework's
 * JSON parser (the same body-parser instance it uses): a parse failure, an oversize body or
 * a charset the parser cannot read is recorded on the request and handed to the function,
 * which answers 400 / 413 / 415 itself.
 * Installed once, when the first HTTP function is defined (before the framework builds its
 * server); it changes no behaviour but these failure paths.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

export type BodyFailure = 'malformed' | 'too-large' | 'unsupported' | 'unreadable';

const FAILURE = Symbol.for('taskman.bodyFailure');

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
type ParserFactory = (options?: Record<string, unknown>) => Middleware;
interface BodyParserModule {
  json: ParserFactory;
  text: ParserFactory;
  urlencoded: ParserFactory;
  raw: ParserFactory;
}

let installed = false;

/** The framework's own default answers errors with an HTML page (and a stack trace): never throw here. */
const FALLBACK_LIMIT_BYTES = 256 * 1024;

function safeLimit(limitBytes: () => number): number {
  try {
    return limitBytes();
  } catch {
    // Bad configuration: the function itself then answers 500 with the error body.
    return FALLBACK_LIMIT_BYTES;
  }
}

/** Multipart bodies are left unread, for the function to stream (uploads). */
export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/**
 * Wraps the framework's body parsers; `limitBytes()` (read at the first request, so
 * installing reads no configuration) caps every buffered body of the process.
 */
export function installBodyPolicy(limitBytes: () => number): void {
  if (installed) return;
  installed = true;
  const frameworkRequire = createRequire(
    createRequire(import.meta.url).resolve('@google-cloud/functions-framework'),
  );
  const bodyParser = frameworkRequire('body-parser') as BodyParserModule;
  for (const kind of ['json', 'text', 'urlencoded', 'raw'] as const) {
    const original = bodyParser[kind] as BodyParserModule['json'];
    bodyParser[kind] = (options?: Record<string, unknown>) => {
      let inner: Middleware | undefined;
      return (req, res, next) => {
        if (kind === 'raw' && isMultipart(req)) return next();
        inner ??= original({ ...options, limit: safeLimit(limitBytes) });
        inner(req, res, (err?: unknown) => {
          if (!err) return next();
          const { type, status } = err as { type?: unknown; status?: unknown };
          const failure: BodyFailure =
            type === 'entity.parse.failed'
              ? 'malformed'
              : type === 'entity.too.large'
                ? 'too-large'
                : status === 415 // a charset or content encoding the parser cannot read
                  ? 'unsupported'
                  : 'unreadable';
          (req as unknown as Record<symbol, unknown>)[FAILURE] = failure;
          (req as unknown as { body: unknown }).body = undefined;
          // An oversize body is not read to the end; the connection closes after the answer.
          if (failure === 'too-large') res.setHeader('Connection', 'close');
          next();
        });
      };
    };
  }
}

/** What went wrong while the framework read this request's body, if anything. */
export function bodyFailureOf(req: object): BodyFailure | undefined {
  return (req as Record<symbol, BodyFailure | undefined>)[FAILURE];
}

/** Exposed for tests only. */
export const safeLimitForTest = safeLimit;
