/**
 * `httpFunction(contract, handler)`: the only code that knows HTTP. It gives every request
 * an id, echoes the correlation id, reads the trace, enforces method and path, then auth
 * and rate limits (before anything of the request is read, so an anonymous caller learns
 * nothing of the contract), then body size, content type and strict schemas; runs the
 * handler in a logging context, and turns every error into the error body of API.md
 * (never a stack trace).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { fingerprintOf, type IdempotencyRequest } from '../application/idempotency.ts';
import { config } from '../config/config.ts';
import type { Principal } from '../domain/common.schema.ts';
import { AppError, type FieldIssue, isAppError, rateLimited, validationError } from '../errors/app-error.ts';
import {
  CORRELATION_ID_HEADER,
  CORRELATION_ID_PATTERN,
  parseTrace,
  type RequestContext,
  runWithContext,
} from '../logging/context.ts';
import { logs } from '../logging/logs.ts';
import { appDeps } from '../wiring/app-deps.ts';
import { bodyFailureOf, installBodyPolicy, isMultipart } from './body-policy.ts';
import { clientAddress } from './client-address.ts';
import { type HttpContract, matchPath } from './http-contract.ts';
import { RateLimiter } from './rate-limiter.ts';
import { verifyCached } from './token-cache.ts';

/** What a handler gets: validated input, the caller and the request's context. */
export interface HttpInput {
  principal: Principal | undefined;
  params: unknown;
  query: unknown;
  body: unknown;
  /** A request header, lower-case name. */
  header(name: string): string | undefined;
  context: RequestContext;
  /** Present when the route is idempotent and the client sent `Idempotency-Key`. */
  idempotency: IdempotencyRequest | undefined;
  /** The request itself, for multipart routes that stream the body. */
  request: Request;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A handler whose input types follow the contract's schemas. */
export type Handler<C extends HttpContract> = (
  input: Omit<HttpInput, 'params' | 'query' | 'body' | 'principal'> & {
    principal: C['auth'] extends 'none' ? Principal | undefined : Principal;
    params: C['params'] extends z.ZodType ? z.output<C['params']> : Record<string, never>;
    query: C['query'] extends z.ZodType ? z.output<C['query']> : Record<string, never>;
    body: C['body'] extends z.ZodType ? z.output<C['body']> : undefined;
  },
) => Promise<HttpResult>;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** This instance's limits: requests per caller, and requests with a bad token per address. */
let limiters: { requests: RateLimiter; authFailures: RateLimiter } | undefined;

/**
 * One issue per bad field: an unknown key is named by its own path, and an issue about the
 * whole body, query or params (a refinement, a wrong top-level type) by `where`.
 */
function issuesOf(error: z.ZodError, where: 'params' | 'query' | 'body'): FieldIssue[] {
  const prefix = where === 'body' ? [] : [where];
  const join = (path: string[]) => path.join('.') || where;
  return error.issues.flatMap((i) => {
    const path = [...prefix, ...i.path.map(String)];
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((key) => ({ path: join([...path, key]), reason: 'unknown field' }));
    }
    // A bad name in a record (preferences): say what a name must be, not just "invalid key".
    if (i.code === 'invalid_key') return [{ path: join(path), reason: i.issues[0]?.message ?? i.message }];
    return [{ path: join(path), reason: i.message }];
  });
}

function parseWith<T extends z.ZodType>(
  schema: T | undefined,
  value: unknown,
  where: 'params' | 'query' | 'body',
): unknown {
  if (!schema) {
    const empty =
      value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    if (!empty) throw validationError([{ path: where, reason: `no ${where} is accepted here` }]);
    return where === 'body' ? undefined : {};
  }
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(issuesOf(result.error, where));
  return result.data;
}

function send(res: Response, result: HttpResult): void {
  for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
  res.status(result.status);
  if (result.body === undefined || result.status === 204 || result.status === 304) {
    res.end();
  } else {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(result.body));
  }
}

function errorResult(error: unknown, requestId: string): HttpResult {
  const app = isAppError(error) ? error : new AppError('INTERNAL', 'Something went wrong on our side.');
  if (!isAppError(error)) logs.unexpectedError(error);
  else if (app.status >= 500) logs.dependencyDown(app.code, error);
  const body: Record<string, unknown> = { code: app.code, message: app.message, requestId };
  if (app.details) body.details = app.details;
  return { status: app.status, body: { error: body }, headers: app.headers ?? {} };
}

function corsHeaders(req: Request, contract: HttpContract): Record<string, string> {
  const origin = req.get('origin');
  const allowed = config().corsOrigins;
  if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return {};
  return {
    'Access-Control-Allow-Origin': allowed.includes('*') ? '*' : origin,
    // Behind the gateway one function answers the preflight of a path for all its methods.
    'Access-Control-Allow-Methods': `${[...new Set(contract.pathMethods ?? [contract.method])].join(', ')}, OPTIONS`,
    'Access-Control-Allow-Headers': `Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, ${CORRELATION_ID_HEADER}, traceparent`,
    'Access-Control-Expose-Headers': `ETag, Location, X-Request-Id, ${CORRELATION_ID_HEADER}, Retry-After`,
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

function throttle(wait: number): void {
  if (wait > 0) throw rateLimited(wait);
}

/**
 * Who calls, and whether they may go on. Signed-in callers are limited by uid; everyone
 * else by the address the platform appends (not what the client writes), including
 * requests without a token to routes that need one. A bad token costs a verification, so
 * an address that sent too many in a minute gets 429 without one.
 */
async function admit(req: Request, contract: HttpContract): Promise<Principal | undefined> {
  const c = config();
  limiters ??= {
    requests: new RateLimiter(c.rateLimitPerMinute),
    authFailures: new RateLimiter(c.authFailuresPerMinute),
  };
  const { requests, authFailures } = limiters;
  const address = `ip:${clientAddress(req, c.trustedProxyHops)}`;
  // Behind API Gateway the functions are private: the gateway sends its own token in
  // Authorization and moves the caller's to X-Forwarded-Authorization. Only the gateway can
  // reach a private function, so the forwarded header is trusted when present.
  const header = req.get('x-forwarded-authorization') ?? req.get('authorization');
  const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (contract.auth === 'none' || !token) {
    throttle(requests.take(address));
    if (contract.auth === 'none') return undefined;
    throw new AppError('AUTH.UNAUTHENTICATED', 'Sign in: send Authorization: Bearer <ID token>.');
  }
  throttle(authFailures.peek(address));
  let principal: Principal;
  try {
    principal = await verifyCached(appDeps().identity, token);
  } catch (error) {
    if (isAppError(error) && error.code === 'AUTH.UNAUTHENTICATED') authFailures.take(address);
    throw error;
  }
  throttle(requests.take(principal.uid));
  if (contract.auth === 'admin' && principal.role !== 'admin') {
    throw new AppError('AUTH.FORBIDDEN', 'This needs the admin role.');
  }
  return principal;
}

function readBody(req: Request, contract: HttpContract): unknown {
  if (contract.multipart) {
    if (!isMultipart(req))
      throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data.');
    return undefined;
  }
  // The body policy leaves multipart bodies unread for upload routes; anywhere else one is
  // the wrong media type, not a missing body.
  if (isMultipart(req)) {
    req.resume();
    throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  const failure = bodyFailureOf(req);
  const limit = contract.maxBodyBytes ?? config().maxJsonBodyBytes;
  const declared = Number(req.get('content-length') ?? 0);
  if (failure === 'too-large' || declared > limit || (req.rawBody?.length ?? 0) > limit) {
    throw new AppError('REQUEST.TOO_LARGE', `The body is larger than ${limit} bytes.`, {
      details: { limit },
    });
  }
  if (failure === 'malformed') throw new AppError('REQUEST.MALFORMED_JSON', 'The body is not valid JSON.');
  if (failure === 'unsupported') {
    throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 application/json.');
  }
  if (failure) throw validationError([{ path: 'body', reason: 'could not be read' }]);
  const hasBody = (req.rawBody?.length ?? 0) > 0;
  if (!hasBody) return contract.body ? undefined : undefined;
  if (!req.is('application/json')) {
    throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  return req.body;
}

function idempotencyOf(
  req: Request,
  contract: HttpContract,
  principal: Principal | undefined,
  body: unknown,
) {
  const key = req.get('idempotency-key');
  if (key === undefined || !contract.idempotent) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw validationError([{ path: 'Idempotency-Key', reason: 'must be 1..255 visible ASCII characters' }]);
  }
  return {
    scope: `${principal?.uid ?? 'anonymous'} ${contract.name}`,
    key,
    fingerprint: fingerprintOf(contract.method, req.path, body),
  };
}

/** Builds the functions-framework handler of one HTTP function. */
export function httpFunction<C extends HttpContract>(
  contract: C,
  handler: Handler<C>,
): (req: Request, res: Response) => Promise<void> {
  installBodyPolicy(() => config().maxJsonBodyBytes);
  return async (req, res) => {
    const started = Date.now();
    const requestId = randomUUID();
    const incoming = req.get(CORRELATION_ID_HEADER);
    const correlationId = incoming && CORRELATION_ID_PATTERN.test(incoming) ? incoming : requestId;
    const context: RequestContext = {
      requestId,
      correlationId,
      functionName: contract.name,
      ...parseTrace(config().projectId, req.get('traceparent'), req.get('x-cloud-trace-context')),
    };
    res.setHeader('X-Request-Id', requestId);
    res.setHeader(CORRELATION_ID_HEADER, correlationId);
    await runWithContext(context, async () => {
      let result: HttpResult;
      const cors = corsHeaders(req, contract);
      try {
        if (req.method === 'OPTIONS') {
          result = { status: 204, headers: cors };
        } else {
          result = await handle(req, contract, handler, context);
          result.headers = { ...cors, ...result.headers };
        }
      } catch (error) {
        result = errorResult(error, requestId);
        result.headers = { ...cors, ...result.headers };
      }
      send(res, result);
      logs.requestCompleted(req.method, req.path, result.status, Date.now() - started);
    });
  };
}

async function handle<C extends HttpContract>(
  req: Request,
  contract: C,
  handler: Handler<C>,
  context: RequestContext,
): Promise<HttpResult> {
  if (req.method !== contract.method) {
    throw new AppError('ROUTE.METHOD_NOT_ALLOWED', `Use ${contract.method} here.`, {
      headers: { Allow: `${contract.method}, OPTIONS` },
    });
  }
  const rawParams = matchPath(contract.path, req.path);
  if (!rawParams) throw new AppError('ROUTE.NOT_FOUND', 'No such route.');
  const principal = await admit(req, contract);
  if (principal) context.actorId = principal.uid;
  const rawBody = readBody(req, contract);
  const params = parseWith(contract.params, rawParams, 'params');
  const query = parseWith(contract.query, req.query, 'query');
  if (contract.body && rawBody === undefined)
    throw validationError([{ path: 'body', reason: 'a JSON body is required' }]);
  const body = parseWith(contract.body, rawBody, 'body');
  const idempotency = idempotencyOf(req, contract, principal, body);
  return handler({
    principal,
    params,
    query,
    body,
    header: (name) => req.get(name),
    context,
    idempotency,
    request: req,
  } as Parameters<Handler<C>>[0]);
}
