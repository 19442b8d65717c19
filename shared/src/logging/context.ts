/**
 * Per-request (or per-event) context carried through async calls: request id,
 * correlation id, trace and the function's name. Log lines and published events read it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  correlationId: string;
  functionName: string;
  /** `projects/P/traces/T`, Cloud Logging's trace field, when the request carried one. */
  trace?: string;
  spanId?: string;
  /** The W3C traceparent to pass on to Pub/Sub attributes. */
  traceparent?: string;
  /** The caller's uid once authenticated. */
  actorId?: string;
}

/** The HTTP header a caller's correlation id comes in by, and every reply echoes it in. */
export const CORRELATION_ID_HEADER = 'X-Correlation-Id';
/** The correlation ids accepted from a caller; any other is replaced by the request id. */
export const CORRELATION_ID_PATTERN = /^[\w.:-]{1,128}$/;

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current context. */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current context, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Parses `traceparent` (W3C) or `X-Cloud-Trace-Context` into Cloud Logging's trace fields.
 */
export function parseTrace(
  projectId: string,
  traceparent: string | undefined,
  cloudTrace: string | undefined,
): Pick<RequestContext, 'trace' | 'spanId' | 'traceparent'> {
  const tp = traceparent?.match(/^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/);
  if (tp?.[1] && tp[2]) {
    return { trace: `projects/${projectId}/traces/${tp[1]}`, spanId: tp[2], traceparent };
  }
  const ct = cloudTrace?.match(/^([\da-f]{32})(?:\/(\d+))?/);
  if (ct?.[1]) {
    const span = ct[2] ? BigInt(ct[2]).toString(16).padStart(16, '0').slice(-16) : undefined;
    return {
      trace: `projects/${projectId}/traces/${ct[1]}`,
      ...(span ? { spanId: span, traceparent: `00-${ct[1]}-${span}-01` } : {}),
    };
  }
  return {};
}
