/**
 * One request in: which API it belongs to (JSON under `/storage/v1` or `/b`, uploads under
 * `/upload/storage/v1`, media under `/download/storage/v1`, anything else the XML API's
 * `/{bucket}/{object}`), the one place errors become GCS-shaped responses, and one debug
 * log line per request — path only: query strings carry signatures and upload ids.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from './deps.ts';
import { StorageError } from './errors.ts';
import { type Context, drain } from './http.ts';
import { handleJsonApi } from './json-api.ts';
import { handleUpload } from './uploads.ts';
import { handleXmlApi } from './xml-api.ts';

export function createRequestHandler(deps: Deps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(req, res, deps);
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: Deps): Promise<void> {
  const started = performance.now();
  const url = req.url ?? '/';
  const cut = url.indexOf('?');
  const rawPath = cut < 0 ? url : url.slice(0, cut);
  const rawQuery = cut < 0 ? '' : url.slice(cut + 1);
  const ctx: Context = {
    req,
    res,
    method: req.method ?? 'GET',
    rawPath,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    baseUrl: `http://${req.headers.host ?? 'localhost'}`,
    api: 'json',
  };
  res.once('close', () => {
    const fields = {
      method: ctx.method,
      path: rawPath,
      api: ctx.api,
      status: res.statusCode,
      ms: Math.round(performance.now() - started),
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    deps.log.debug(fields, `${ctx.method} ${rawPath} ${res.statusCode}`);
  });
  try {
    await route(ctx, deps, rawPath.split('/').slice(1));
  } catch (error) {
    await answerError(ctx, deps, error);
  }
}

function route(ctx: Context, deps: Deps, s: string[]): Promise<void> {
  if (s[0] === 'storage' && s[1] === 'v1') return handleJsonApi(ctx, deps, s.slice(2));
  if (s[0] === 'upload' && s[1] === 'storage' && s[2] === 'v1') return handleUpload(ctx, deps, s.slice(3));
  if (s[0] === 'download' && s[1] === 'storage' && s[2] === 'v1') {
    return handleJsonApi(ctx, deps, s.slice(3), true);
  }
  // STORAGE_EMULATOR_HOST makes the client drop the `/storage/v1` prefix (bucket names are
  // at least 3 characters, so a `b` bucket cannot be meant).
  if (s[0] === 'b' || (s[0] === 'projects' && s[2] === 'serviceAccount')) return handleJsonApi(ctx, deps, s);
  if (ctx.rawPath === '/' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    // Readiness probe, answered like the gcloud emulators answer theirs.
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
    ctx.res.end('Ok');
    return Promise.resolve();
  }
  ctx.api = 'xml';
  return handleXmlApi(ctx, deps, s);
}

async function answerError(ctx: Context, deps: Deps, thrown: unknown): Promise<void> {
  const error =
    thrown instanceof StorageError
      ? thrown
      : new StorageError({
          status: 500,
          reason: 'backendError',
          xmlCode: 'InternalError',
          message: 'Internal error.',
        });
  if (!(thrown instanceof StorageError)) {
    deps.log.error({ method: ctx.method, path: ctx.rawPath, err: thrown }, 'request failed');
  }
  const { res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.status === 304) {
    res.writeHead(304, error.headers);
    res.end();
  } else {
    const xml = ctx.api === 'xml';
    const body = xml ? error.toXml() : error.toJson();
    res.writeHead(error.status, {
      ...error.headers,
      'Content-Type': xml ? 'application/xml; charset=UTF-8' : 'application/json; charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
  // Whatever the client still sends is read and dropped, so it gets to read this answer.
  await drain(ctx.req);
}
